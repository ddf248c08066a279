/**
 * The CIBA `binding_message` (CIBA Core §7.1): short and plain, so the
 * person approving on their phone can match it to the line guard printed.
 * Only `[A-Za-z0-9-._+/!?#]`, at most 20 characters by default: the
 * strictest rule of the common IdPs (oidc-provider's default validator).
 *
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.1
 */

/** Characters of the random part that no one mixes up when reading them off a phone (no 0/O, 1/I/L). */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const BINDING_MESSAGE_MAX = 20;
const CODE_LENGTH = 4;

/**
 * `LABEL-CODE`, e.g. `kubectl-7KQ2`: the command's name (cut, and only the
 * allowed characters) and a random code that tells two requests apart.
 * `random` returns numbers in [0, 1).
 */
export function bindingMessage(label: string, max = BINDING_MESSAGE_MAX, random: () => number = Math.random): string {
  const code = Array.from({ length: CODE_LENGTH }, () => CODE_ALPHABET[Math.floor(random() * CODE_ALPHABET.length)]).join('');
  const room = Math.max(0, max - CODE_LENGTH - 1);
  // The name keeps only [A-Za-z0-9._+-]: allowed by oidc-provider's rule and by Auth0's and Okta's.
  const name = label.replace(/\s+/g, '-').replace(/[^A-Za-z0-9._+-]/g, '').slice(0, room).replace(/-+$/, '');
  return name ? `${name}-${code}` : code;
}
