/** Converting a token endpoint response into what guard stores. */
import type { TokenSet } from '../keychain/keychain.ts';
import type { oidc } from './client.ts';

export interface IdClaims {
  sub: string;
  /** ms since epoch, if the IdP sent auth_time */
  auth_time?: number;
  [claim: string]: unknown;
}

type TokenResponse = oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

export function toTokenSet(response: TokenResponse, now: number, previous?: TokenSet): TokenSet {
  const expiresIn = response.expiresIn();
  return {
    access_token: response.access_token,
    // Without rotation the IdP may omit the refresh token: keep the old one.
    refresh_token: response.refresh_token ?? previous?.refresh_token,
    id_token: response.id_token ?? previous?.id_token,
    expires_at: expiresIn === undefined ? now + 5 * 60_000 : now + expiresIn * 1000,
    ...(response.scope ? { scope: response.scope } : {}),
  };
}

/** The validated ID token claims (openid-client checked signature, iss, aud, exp, iat). */
export function idClaims(response: TokenResponse): IdClaims | undefined {
  const claims = response.claims();
  if (!claims) return undefined;
  return { ...claims, sub: claims.sub, auth_time: typeof claims.auth_time === 'number' ? claims.auth_time * 1000 : undefined };
}
