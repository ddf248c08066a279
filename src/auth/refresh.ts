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
import { idpError, isNetworkError, oauthErrorCode } from './idp-error.ts';
import { idClaims, toTokenSet, type IdClaims } from './tokens.ts';

export type RefreshOutcome =
  | { ok: true; tokens: TokenSet; claims?: IdClaims }
  /** The IdP said no (invalid_grant…): the session is over, a login may follow. */
  | { ok: false; rejected: string };

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
    throw idpError(profile.issuer, 'the token refresh', error);
  }
}

/** Best effort: the caller deletes the local session whatever happens here. Returns a warning, if any. */
export async function revokeToken(deps: Deps, profile: Profile, token: string): Promise<string | undefined> {
  try {
    const config = await discoverClient(profile, { env: deps.env });
    await oidc.tokenRevocation(config, token, { token_type_hint: 'refresh_token' });
    return undefined;
  } catch (error) {
    return `could not revoke the refresh token at the identity provider (${idpError(profile.issuer, 'revocation', error).message})`;
  }
}
