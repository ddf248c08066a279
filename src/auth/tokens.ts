/** Converting a token endpoint response into what guard stores. */
import { invalidResponseError } from './idp-error.ts';
import type { TokenSet } from '../keychain/keychain.ts';
import type { oidc } from './client.ts';

export interface IdClaims {
  sub: string;
  /** ms since epoch, if the IdP sent auth_time */
  auth_time?: number;
  [claim: string]: unknown;
}

type TokenResponse = oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

/** Seconds until the refresh token expires, when the IdP says (Keycloak: refresh_expires_in; Entra ID: refresh_token_expires_in). */
export function refreshExpiresIn(response: object): number | undefined {
  const r = response as { refresh_expires_in?: unknown; refresh_token_expires_in?: unknown };
  const value = r.refresh_expires_in ?? r.refresh_token_expires_in;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

export function toTokenSet(response: TokenResponse, now: number, previous?: TokenSet): TokenSet {
  const expiresIn = response.expiresIn();
  return {
    access_token: response.access_token,
    // Without rotation the IdP may omit the refresh token: keep the old one.
    refresh_token: response.refresh_token ?? previous?.refresh_token,
    id_token: response.id_token ?? previous?.id_token,
    expires_at: expiresIn === undefined ? now + 5 * 60_000 : now + expiresIn * 1000,
    ...(refreshExpiresIn(response) !== undefined ? { refresh_expires_at: now + refreshExpiresIn(response)! * 1000 } : {}),
    ...(response.scope ? { scope: response.scope } : {}),
  };
}

/** How far the IdP's clock may run ahead of ours before an auth_time counts as "in the future". */
const AUTH_TIME_SKEW_MS = 10_000;

/**
 * The validated ID token claims. openid-client checked the signature, iss,
 * aud, exp and iat, but not that auth_time is in the past: an auth_time in
 * the future would make any later step-up check meaningless, so the
 * response is refused (69), like any other invalid ID token.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation
 */
export function idClaims(response: TokenResponse, now: number, issuer: string, step: string): IdClaims | undefined {
  const claims = response.claims();
  if (!claims) return undefined;
  const authTime = typeof claims.auth_time === 'number' ? claims.auth_time * 1000 : undefined;
  if (authTime !== undefined && authTime > now + AUTH_TIME_SKEW_MS) {
    throw invalidResponseError(issuer, step, `the ID token's "auth_time" is ${Math.round((authTime - now) / 1000)}s in the future (check both clocks)`);
  }
  return { ...claims, sub: claims.sub, auth_time: authTime };
}
