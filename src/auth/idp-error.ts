/**
 * Turns whatever the OIDC library or the network threw into one clear
 * GuardError line: unreachable / misbehaving → 69; denied / expired → 77.
 * Never echoes a response body (no HTML, no token material).
 */
import { GuardError } from '../errors.ts';

/** The OAuth error code of an error response (`invalid_grant`, `access_denied`…), if that is what this is. */
export function oauthErrorCode(error: unknown): string | undefined {
  const e = error as { error?: unknown; name?: string } | null;
  return e && typeof e === 'object' && typeof e.error === 'string' && e.name === 'ResponseBodyError' ? e.error : undefined;
}

export function isNetworkError(error: unknown): boolean {
  const e = error as { name?: string; message?: string; cause?: { code?: string } } | null;
  if (!e || typeof e !== 'object') return false;
  return e.name === 'TimeoutError' || e.name === 'AbortError' || (e.name === 'TypeError' && /fetch failed/.test(e.message ?? '')) || typeof e.cause?.code === 'string';
}

/** The first errno-style code along the cause chain (fetch wraps the socket error). */
function causeCode(error: unknown): string | undefined {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && /^E[A-Z_]+$/.test(e.code)) return e.code;
  }
  return undefined;
}

function networkReason(error: unknown): string {
  const e = error as { name?: string; cause?: { code?: string; name?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.cause?.name === 'TimeoutError') return 'did not answer in time';
  const code = causeCode(error);
  if (code === 'ECONNREFUSED') return 'refused the connection';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'could not be resolved';
  return code ? `is unreachable (${code})` : 'is unreachable';
}

export function idpError(issuer: string, step: string, error: unknown): GuardError {
  if (error instanceof GuardError) return error;
  if (isNetworkError(error)) {
    return new GuardError('idp', `the identity provider ${issuer} ${networkReason(error)} during ${step}; check your network or the profile's issuer`, { cause: error });
  }
  const code = oauthErrorCode(error);
  if (code === 'access_denied') return new GuardError('auth', 'the sign-in was denied at the identity provider', { cause: error });
  if (code === 'expired_token') return new GuardError('auth', 'the device code expired before it was approved; run the command again for a new code', { cause: error });
  if (code) return new GuardError('idp', `the identity provider rejected ${step} (${code}); if this persists, check the profile's client_id and the client's settings`, { cause: error });
  const e = error as { code?: string; message?: string };
  const what = typeof e?.code === 'string' && e.code.startsWith('OAUTH_') ? e.code.toLowerCase().replace(/^oauth_/, '').replace(/_/g, ' ') : 'an invalid response';
  return new GuardError('idp', `the identity provider ${issuer} sent ${/response|invalid/.test(what) ? what : `a response that failed validation (${what})`} during ${step}`, {
    cause: error,
    detail: typeof e?.message === 'string' ? e.message.split('\n')[0]!.slice(0, 200) : undefined,
  });
}
