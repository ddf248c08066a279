/**
 * The CIBA `binding_message` (CIBA Core §7.1): what the person approving on
 * their phone reads, so it must say what they approve and match the line
 * guard printed. At most 20 characters of `[A-Za-z0-9-._+/!?#]` by default
 * (oidc-provider's validator, the strictest of the common IdPs; a profile's
 * `binding_message_max` may allow more): the command's most telling words
 * (policy/telling-words.ts: the verb, then the target) joined by `+` — no
 * space is allowed, and `+` rarely occurs in a name, so the words stay
 * apart — then a random code that tells two requests apart:
 * `delete+prod-eu+47TZ`. Words keep `[A-Za-z0-9._-]` only, which Auth0's
 * rule (letters, digits, `+-_.,:#` and spaces) accepts too.
 *
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.1
 */

/** Characters of the random part that no one mixes up when reading them off a phone (no 0/O, 1/I/L). */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const BINDING_MESSAGE_MAX = 20;
const CODE_LENGTH = 4;
const SEPARATOR = '+';
/** The least of a cut word worth showing. */
const MIN_CUT = 3;

/**
 * The message for the telling `words` (most telling first): as many whole
 * words as fit before `+CODE`; the first two (verb and target) are cut
 * rather than dropped. `random` returns numbers in [0, 1).
 */
export function bindingMessage(words: readonly string[], max = BINDING_MESSAGE_MAX, random: () => number = Math.random): string {
  const code = Array.from({ length: CODE_LENGTH }, () => CODE_ALPHABET[Math.floor(random() * CODE_ALPHABET.length)]).join('');
  const room = max - CODE_LENGTH - SEPARATOR.length;
  let text = '';
  for (const [i, word] of words.map((w) => w.replace(/[^A-Za-z0-9._-]/g, '')).filter(Boolean).entries()) {
    const joined = text ? `${text}${SEPARATOR}${word}` : word;
    if (joined.length <= room) {
      text = joined;
      continue;
    }
    const cut = joined.slice(0, room).replace(/[._-]+$/, '');
    if (i < 2 && cut.length - text.length - (text ? SEPARATOR.length : 0) >= MIN_CUT) text = cut;
    break;
  }
  return text ? `${text}${SEPARATOR}${code}` : code;
}
