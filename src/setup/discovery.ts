/**
 * Reads an IdP's discovery document as plain JSON (no OIDC library: `init`
 * and `doctor` want every advertised field and the `Date` header, and must
 * say what is missing instead of refusing at the first gap), and judges what
 * guard needs from it. The fetch has the same timeout as every other IdP
 * call; failures become the same one-line errors (idpError).
 *
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata
 */
import { GuardError } from '../errors.ts';
import { idpError } from '../auth/idp-error.ts';
import { httpTimeout } from '../util/http-timeout.ts';
import { escapeControl } from '../util/text.ts';

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface Discovery {
  metadata: Record<string, unknown>;
  /** The IdP's clock minus ours (ms), from its `Date` header against the middle of the request; undefined without a usable header. */
  skewMs?: number;
}

/** The discovery URL for an issuer (OIDC Discovery §4: the issuer plus `/.well-known/openid-configuration`). */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/**
 * Fetches the discovery document: 69 when the IdP cannot be reached, does
 * not answer in time, or answers with something that is not a JSON object.
 */
export async function fetchDiscovery(issuer: string, env: NodeJS.ProcessEnv, now: () => number = Date.now, timeoutSeconds = httpTimeout(env)): Promise<Discovery> {
  const url = discoveryUrl(issuer);
  const sent = now();
  let response: Response;
  let body: unknown;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(timeoutSeconds * 1000) });
    if (!response.ok) throw new GuardError('idp', `the identity provider ${escapeControl(issuer)} answered HTTP ${response.status} for its discovery document; check the issuer URL (it should serve ${escapeControl(url)})`);
    const text = await response.text();
    try {
      body = JSON.parse(text);
    } catch {
      throw new GuardError('idp', `the identity provider ${escapeControl(issuer)} did not answer with JSON at ${escapeControl(url)}; check the issuer URL, or a proxy or captive portal in between`);
    }
  } catch (error) {
    throw idpError(escapeControl(issuer), 'discovery', error);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new GuardError('idp', `the discovery document of ${escapeControl(issuer)} is not a JSON object; check the issuer URL`);
  const received = now();
  const date = Date.parse(response.headers.get('date') ?? '');
  return { metadata: body as Record<string, unknown>, ...(Number.isFinite(date) ? { skewMs: date - (sent + received) / 2 } : {}) };
}

/**
 * The issuer exactly as the discovery document names it, when that differs
 * from the one typed only by a trailing `/` (`https://tenant.auth0.com/`
 * against `https://tenant.auth0.com`): both lead to the same document, and
 * OIDC Discovery §4.3 wants the configured issuer to equal the document's,
 * so the document decides. Undefined otherwise.
 */
export function issuerAsNamed(typed: string, metadata: Record<string, unknown>): string | undefined {
  const named = metadata.issuer;
  if (typeof named !== 'string' || named === typed) return undefined;
  return named.replace(/\/+$/, '') === typed.replace(/\/+$/, '') ? named : undefined;
}

export type FindingStatus = 'pass' | 'fail' | 'warn' | 'unknown' | 'info';

/** One thing guard looked for in the discovery document. */
export interface Finding {
  id: 'issuer' | 'device_grant' | 'public_client' | 'refresh_tokens' | 'auth_time' | 'revocation' | 'ciba';
  status: FindingStatus;
  /** One line: what was found, or what could not be verified and why. */
  text: string;
}

const list = (value: unknown): string[] | undefined => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined);

/** False only when the IdP lists its scopes and offline_access (refresh tokens) is not among them. */
export function offersOfflineAccess(metadata: Record<string, unknown>): boolean {
  return list(metadata.scopes_supported)?.includes('offline_access') ?? true;
}

/**
 * What guard needs, judged from the metadata alone (pure). `fail` findings
 * (another issuer, no device grant) make the IdP unusable for guard; the
 * rest say what works less well, or what only a sign-in can show.
 */
export function assessDiscovery(issuer: string, metadata: Record<string, unknown>): Finding[] {
  const findings: Finding[] = [];
  const named = typeof metadata.issuer === 'string' ? metadata.issuer : undefined;
  // OIDC Discovery §4.3: the issuer in the document must be exactly the one asked for.
  findings.push(
    named === issuer
      ? { id: 'issuer', status: 'pass', text: `issuer matches (${escapeControl(issuer)})` }
      : { id: 'issuer', status: 'fail', text: `the discovery document names another issuer (${escapeControl(named ?? 'none')}); use exactly that URL as the issuer if you trust it, else check the URL` },
  );
  const grants = list(metadata.grant_types_supported);
  const deviceEndpoint = typeof metadata.device_authorization_endpoint === 'string';
  if (!deviceEndpoint) findings.push({ id: 'device_grant', status: 'fail', text: 'no device_authorization_endpoint: the IdP does not offer the device grant (RFC 8628) guard signs in with; ask its administrators to enable it for this client' });
  else if (grants && !grants.includes(DEVICE_GRANT)) findings.push({ id: 'device_grant', status: 'fail', text: 'grant_types_supported lacks the device grant (RFC 8628); ask the IdP administrators to enable it for this client' });
  else findings.push({ id: 'device_grant', status: 'pass', text: 'device grant offered (RFC 8628)' });

  const authMethods = list(metadata.token_endpoint_auth_methods_supported);
  if (authMethods && !authMethods.includes('none')) findings.push({ id: 'public_client', status: 'warn', text: `public clients are not advertised (token_endpoint_auth_methods_supported: ${escapeControl(authMethods.join(', '))}); the client must be registered as public (no secret)` });

  const scopes = list(metadata.scopes_supported);
  if (grants && !grants.includes('refresh_token')) findings.push({ id: 'refresh_tokens', status: 'warn', text: 'no refresh_token grant: every expired access token means a new sign-in' });
  else if (!offersOfflineAccess(metadata)) findings.push({ id: 'refresh_tokens', status: 'warn', text: 'offline_access is not among scopes_supported: the IdP may issue no refresh tokens (every expiry then means a new sign-in)' });
  else if (grants && scopes) findings.push({ id: 'refresh_tokens', status: 'pass', text: 'refresh tokens (offline_access, refresh_token grant)' });
  else findings.push({ id: 'refresh_tokens', status: 'unknown', text: 'refresh tokens: not advertised either way; the first sign-in shows whether one is issued' });

  const claims = list(metadata.claims_supported);
  if (claims?.includes('auth_time')) findings.push({ id: 'auth_time', status: 'pass', text: 'auth_time claim supported (re-authentication can be verified)' });
  else findings.push({ id: 'auth_time', status: 'unknown', text: 'auth_time is not listed in claims_supported; guard asks with max_age, which makes it required (OIDC Core §3.1.2.1), and checks it at the first step-up' });

  if (typeof metadata.revocation_endpoint === 'string') findings.push({ id: 'revocation', status: 'pass', text: 'revocation endpoint (RFC 7009): logout revokes the refresh token' });
  else findings.push({ id: 'revocation', status: 'warn', text: 'no revocation endpoint: logout and dead sessions can only forget tokens locally, not revoke them' });

  if (typeof metadata.backchannel_authentication_endpoint === 'string') findings.push({ id: 'ciba', status: 'info', text: 'CIBA endpoint offered: commands without a terminal can be approved on a phone (SPEC §11: set approval: { method: ciba } on the profile)' });
  else findings.push({ id: 'ciba', status: 'info', text: 'no CIBA endpoint: commands without a terminal cannot be approved out of band' });
  return findings;
}

/** The first finding that makes the IdP unusable for guard, as the error to throw (69). */
export function blockingFinding(issuer: string, findings: readonly Finding[]): GuardError | undefined {
  const blocking = findings.find((finding) => finding.status === 'fail');
  return blocking ? new GuardError('idp', `${escapeControl(issuer)}: ${blocking.text}`) : undefined;
}
