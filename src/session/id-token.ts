/**
 * When a stored ID token expires. The token was validated (signature, iss,
 * aud, exp) when guard received it; here its `exp` is only read back, to
 * know how long a caller that hands it out (kube-credential) may use it.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDToken
 */
import type { TokenSet } from '../keychain/keychain.ts';
import { DEFAULT_SKEW } from './decide.ts';

/** The claims of a compact JWT guard stored after validating it (payload read back, not verified again); undefined when it is not one. */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The `exp` claim of a compact JWT, in ms since epoch; undefined when it is not a JWT with a numeric exp. */
export function jwtExpiresAt(token: string): number | undefined {
  const exp = jwtClaims(token)?.exp;
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
}

/** Is the ID token missing, unreadable or about to expire (within the refresh margin)? Then a caller that hands it out needs a refresh. */
export function idTokenExpiring(tokens: TokenSet, now: number): boolean {
  const expires = tokens.id_token ? jwtExpiresAt(tokens.id_token) : undefined;
  return expires === undefined || expires - DEFAULT_SKEW.refreshMargin <= now;
}
