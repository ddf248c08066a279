/**
 * A readable name for the signed-in user. Many IdPs make `sub` an opaque id
 * (Glewlwyd, Entra ID, Auth0 pairwise…), so `status` and the overview show
 * the first of `preferred_username`, `email` or `name` (OIDC Core §5.1) from
 * the validated ID token, else from the userinfo response. It is shown, never
 * trusted: sessions, audit and the same-person check keep using `sub`.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#StandardClaims
 * @see https://openid.net/specs/openid-connect-core-1_0.html#UserInfo
 */
import { oidc } from './client.ts';

/** Claims tried in order: the login name first, then the address, then the full name. */
const NAME_CLAIMS = ['preferred_username', 'email', 'name'] as const;
/** Longer values are cut: a name is a label on one line, not a document. */
const MAX_LENGTH = 120;

/** The first usable readable-name claim, or undefined. */
export function readableName(claims: Record<string, unknown> | undefined): string | undefined {
  if (!claims) return undefined;
  for (const claim of NAME_CLAIMS) {
    const value = claims[claim];
    if (typeof value === 'string' && value.trim() !== '') return value.trim().slice(0, MAX_LENGTH);
  }
  return undefined;
}

/**
 * The readable name from the ID token claims, else from the userinfo
 * endpoint (when the IdP has one). Best effort: any failure gives undefined,
 * never a failed sign-in. openid-client checks the userinfo `sub` equals the
 * ID token's.
 */
export async function displayNameFor(config: oidc.Configuration, claims: { sub: string } & Record<string, unknown>, accessToken: string): Promise<string | undefined> {
  const fromIdToken = readableName(claims);
  if (fromIdToken || !config.serverMetadata().userinfo_endpoint) return fromIdToken;
  try {
    return readableName(await oidc.fetchUserInfo(config, accessToken, claims.sub));
  } catch {
    return undefined;
  }
}
