/**
 * Turns whatever the OIDC library or the network threw into one clear
 * GuardError line: unreachable / misbehaving → 69; denied / expired → 77.
 * Never echoes a response body (no HTML, no token material).
 *
 * Errors are recognised by their stable `code` strings and by the names of
 * built-in errors only: the bundle is minified, so the library's own class
 * names (ResponseBodyError, ClientError) do not survive it.
 */
import { GuardError } from '../errors.ts';
import { fetchErrorCode } from '../util/net.ts';

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  error?: unknown;
  claim?: unknown;
  status?: unknown;
  headers?: { get?(name: string): string | null };
  cause?: unknown;
}

/** The error and its causes, outermost first (fetch and openid-client both wrap). */
function causes(error: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 6; e = (e as ErrorLike).cause, depth++) chain.push(e as ErrorLike);
  return chain;
}

/** The OAuth error code of an error response (`invalid_grant`, `access_denied`…), if that is what this is. */
export function oauthErrorCode(error: unknown): string | undefined {
  const e = error as ErrorLike | null;
  return e && typeof e === 'object' && e.code === 'OAUTH_RESPONSE_BODY_ERROR' && typeof e.error === 'string' ? e.error : undefined;
}

function timedOut(error: unknown): boolean {
  return causes(error).some((e) => e.name === 'TimeoutError' || e.code === 'OAUTH_TIMEOUT');
}

export function isNetworkError(error: unknown): boolean {
  if (timedOut(error) || fetchErrorCode(error)) return true;
  return causes(error).some((e) => e.name === 'AbortError' || e.code === 'OAUTH_ABORT' || (e.name === 'TypeError' && /fetch failed/.test(String(e.message))));
}

/** HTTP statuses of a gateway in front of an IdP that is down: the IdP cannot be reached, as with no connection. */
const GATEWAY_DOWN = new Set([502, 503, 504]);

/**
 * Is this the IdP being out of reach (no connection, no answer in time, a
 * gateway saying it is down), rather than an answer it gave? A request the
 * user cancelled is not an outage.
 */
export function isOutage(error: unknown): boolean {
  if (timedOut(error) || fetchErrorCode(error)) return true;
  if (causes(error).some((e) => e.name === 'TypeError' && /fetch failed/.test(String(e.message)))) return true;
  const status = statusOf(error);
  return status !== undefined && GATEWAY_DOWN.has(status);
}

/** HTTP status of a failed request, from the error or the response it carries. */
export function statusOf(error: unknown): number | undefined {
  const own = (error as { status?: unknown } | null)?.status;
  return typeof own === 'number' ? own : responseOf(error).status;
}

/**
 * The identity provider could not be reached (SPEC §5: 69). Carries no more
 * than its message; the session check uses the class to offer a tier's
 * `offline_grace` to commands that need no token.
 */
export class IdpUnreachable extends GuardError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('idp', message, options);
  }
}

function networkReason(error: unknown): string {
  if (timedOut(error)) return 'did not answer in time';
  const code = fetchErrorCode(error);
  if (code === 'ECONNREFUSED') return 'refused the connection';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'could not be resolved';
  return code ? `is unreachable (${code})` : 'is unreachable';
}

/** The HTTP response an error carries (openid-client puts it in `cause`), for its status and content type. */
export function responseOf(error: unknown): { status?: number; contentType?: string } {
  for (const e of causes(error)) {
    if (typeof e.status === 'number' && typeof e.headers?.get === 'function') {
      // Only a plain media type from the server's header, never more of what it sent.
      const contentType = /^[\w.+-]+\/[\w.+-]+/.exec(e.headers.get('content-type') ?? '')?.[0];
      return { status: e.status, contentType };
    }
  }
  return {};
}

/** Why a token response or ID token failed validation, for --verbose (names a claim, never a value). */
function validationReason(error: unknown): string {
  for (const e of causes(error)) {
    const message = typeof e.message === 'string' ? e.message : '';
    if (/signature verification failed/i.test(message)) return "the ID token's signature does not verify against the keys the IdP publishes (JWKS)";
    if (/"alg" header/.test(message)) return 'the ID token is unsigned or uses an algorithm the IdP does not advertise';
    const missing = /JWT "(\w+)" .*claim missing/.exec(message);
    if (missing) return `the ID token has no "${missing[1]}" claim`;
    const claim = causes(e).map((c) => c.claim).find((c): c is string => typeof c === 'string');
    if (e.code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED') return claim === 'exp' ? 'the ID token has expired (check both clocks)' : `the ID token's "${claim ?? 'time'}" claim is out of range (check both clocks)`;
    if (e.code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED') return `the ID token's "${claim ?? 'unknown'}" claim does not match (${claim === 'aud' ? 'issued for another client' : claim === 'iss' ? 'issued by another issuer' : 'unexpected value'})`;
    if (e.code === 'OAUTH_INVALID_RESPONSE' && message && !/^invalid response encountered$/.test(message)) return message.split('\n')[0]!.slice(0, 160);
  }
  return 'the response failed validation';
}

/**
 * An HTTP 400 or 401 without an OAuth error body (empty, not JSON, or JSON
 * without `error`): Glewlwyd, for one, answers a revoked or consumed refresh
 * token like that. RFC 6749 §5.2 puts client and grant errors on 400/401, and
 * an IdP that is down or overloaded answers 5xx, so at the token endpoint this
 * is the IdP saying no, not an unreachable IdP.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export function isBareRejection(error: unknown): boolean {
  const code = (error as ErrorLike | null)?.code;
  if (code !== 'OAUTH_RESPONSE_IS_NOT_CONFORM' && code !== 'OAUTH_RESPONSE_IS_NOT_JSON') return false;
  const { status } = responseOf(error);
  return status === 400 || status === 401;
}

export function idpError(issuer: string, step: string, error: unknown): GuardError {
  if (error instanceof GuardError) return error;
  const described = describeIdpError(issuer, step, error);
  return isOutage(error) && described.code === 'idp' ? new IdpUnreachable(described.message, { cause: error }) : described;
}

function describeIdpError(issuer: string, step: string, error: unknown): GuardError {
  if (isNetworkError(error)) {
    return new GuardError('idp', `the identity provider ${issuer} ${networkReason(error)} during ${step}; check your network or the profile's issuer`, { cause: error });
  }
  const code = oauthErrorCode(error);
  if (code === 'access_denied') return new GuardError('auth', 'the sign-in was denied at the identity provider; run the command again to retry', { cause: error });
  if (code === 'expired_token') return new GuardError('auth', 'the device code expired before it was approved; run the command again for a new code', { cause: error });
  if (code) return new GuardError('idp', `the identity provider rejected ${step} (${code}); if this persists, check the profile's client_id and the client's settings`, { cause: error });
  const libraryCode = (error as ErrorLike | null)?.code;
  // (A 4xx that is not JSON comes as "not JSON": its status says more than its missing content type.)
  if (libraryCode === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || (libraryCode === 'OAUTH_RESPONSE_IS_NOT_JSON' && (responseOf(error).status ?? 0) >= 400)) {
    const { status } = responseOf(error);
    // A 4xx is the wrong address (or a proxy in between), not an outage: like guard init, point at the URL.
    if (status !== undefined && status >= 400 && status < 500) {
      const where = step === 'discovery' ? ` (it should serve ${issuer.replace(/\/$/, '')}/.well-known/openid-configuration)` : '';
      return new GuardError('idp', `the identity provider ${issuer} answered HTTP ${status} during ${step}; check the profile's issuer URL${where}`, { cause: error });
    }
    return new GuardError('idp', `the identity provider ${issuer} answered HTTP ${status ?? '(unexpected status)'} during ${step}; it may be down or overloaded — try again later`, { cause: error });
  }
  if (libraryCode === 'OAUTH_RESPONSE_IS_NOT_JSON') {
    const { contentType } = responseOf(error);
    return new GuardError('idp', `the identity provider ${issuer} answered with ${contentType ?? 'something'} instead of JSON during ${step}; check the profile's issuer URL, or a proxy or captive portal in between`, { cause: error });
  }
  return invalidResponseError(issuer, step, validationReason(error), error);
}

/**
 * A response that does not validate (an ID token with a bad signature,
 * audience, expiry…). Security failures stay generic on the one line;
 * --verbose names the check that failed (a claim's name, never its value).
 */
export function invalidResponseError(issuer: string, step: string, detail: string, cause?: unknown): GuardError {
  return new GuardError('idp', `the identity provider ${issuer} sent a response that failed validation during ${step}; nothing was changed — if this persists, tell the IdP's administrators (--verbose shows why)`, {
    cause,
    detail,
  });
}
