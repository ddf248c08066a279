/**
 * Refresh-token grant (rotation-aware) and revocation (RFC 7009).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 * @see https://www.rfc-editor.org/rfc/rfc7009
 */
import type { Deps } from '../deps.ts';
import type { TokenSet } from '../keychain/keychain.ts';
import type { Narrowing, Profile } from '../policy/types.ts';
import { discoverClient, oidc } from './client.ts';
import { idpError, isBareRejection, isNetworkError, oauthErrorCode, statusOf } from './idp-error.ts';
import { idClaims, toTokenSet, type IdClaims } from './tokens.ts';

export type RefreshOutcome =
  | { ok: true; tokens: TokenSet; claims?: IdClaims }
  /** The IdP said no (invalid_grant, or a bare 400/401): the session is over, a login may follow. */
  | { ok: false; rejected: string };

/** The reason recorded when the IdP refused a refresh with a bare HTTP 400/401 (no OAuth error code). */
const BARE_REJECTION = 'refresh_rejected';

export async function refreshTokens(deps: Deps, profile: Profile, previous: TokenSet, narrowing: Narrowing = {}): Promise<RefreshOutcome> {
  if (!previous.refresh_token) return { ok: false, rejected: 'no refresh token' };
  const config = await discoverClient(profile, { env: deps.env });
  const parameters: Record<string, string> = {};
  if (narrowing.scope) parameters.scope = narrowing.scope;
  if (narrowing.resource) parameters.resource = narrowing.resource;
  try {
    const response = await oidc.refreshTokenGrant(config, previous.refresh_token, parameters);
    return { ok: true, tokens: toTokenSet(response, deps.now(), previous), claims: idClaims(response, deps.now(), profile.issuer, 'the token refresh') };
  } catch (error) {
    const code = oauthErrorCode(error);
    // Only invalid_grant means "this session is over"; invalid_client, invalid_scope, 429s… are IdP or client faults (69).
    if (code === 'invalid_grant' && !isNetworkError(error)) return { ok: false, rejected: code };
    if (isBareRejection(error)) return { ok: false, rejected: BARE_REJECTION };
    throw idpError(profile.issuer, 'the token refresh', error);
  }
}

/**
 * Revokes a refresh token (RFC 7009), best effort: the caller deletes the
 * local session whatever happens here. guard is a public client without
 * credentials; some IdPs (Glewlwyd) refuse such a client (401, or
 * `invalid_client`) unless the request carries the session's access token as
 * `Authorization: Bearer`: then it asks once more with it. The access token
 * is never sent unasked. Returns a warning when the token stays valid.
 */
export async function revokeToken(deps: Deps, profile: Profile, token: string, accessToken?: string): Promise<string | undefined> {
  let config: oidc.Configuration | undefined;
  try {
    config = await discoverClient(profile, { env: deps.env });
    await oidc.tokenRevocation(config, token, { token_type_hint: 'refresh_token' });
    return undefined;
  } catch (error) {
    if (!config || !accessToken || !refusedClient(error)) return notRevoked(profile, error);
  }
  const plain = config[oidc.customFetch] ?? fetch;
  config[oidc.customFetch] = (url, init) => plain(url, { ...init, headers: { ...init.headers, authorization: `Bearer ${accessToken}` } });
  try {
    await oidc.tokenRevocation(config, token, { token_type_hint: 'refresh_token' });
    return undefined;
  } catch (error) {
    return notRevoked(profile, error);
  }
}

/** Did the IdP refuse the client itself (RFC 7009 §2.2.1: invalid_client, 401)? */
function refusedClient(error: unknown): boolean {
  return statusOf(error) === 401 || oauthErrorCode(error) === 'invalid_client';
}

/** The warning for a refresh token that is still valid at the IdP, plain about why. */
function notRevoked(profile: Profile, error: unknown): string {
  const status = statusOf(error);
  if (status !== undefined && status >= 400 && status < 500 && !isNetworkError(error)) {
    const code = oauthErrorCode(error);
    return `the identity provider ${profile.issuer} refused to revoke the refresh token (HTTP ${status}${code ? `, ${code}` : ''}); it stays valid there until it expires — sign out at the identity provider to end it now`;
  }
  return `could not revoke the refresh token at the identity provider (${idpError(profile.issuer, 'revocation', error).message})`;
}
