/**
 * Built-in masking of secrets in a logged argv (SPEC §13), applied before
 * any `audit.secret_patterns` of the config: the value of a flag (or
 * NAME=value word) whose name says password, passwd, secret, token or key,
 * in both `--flag=value` and `--flag value` forms; the credential after
 * `Bearer` / `Basic` (RFC 6750 §2.1, RFC 7617); the password of a URL's
 * userinfo (RFC 3986 §3.2.1); any JWT-looking word (RFC 7519 §3); and any
 * token guard itself holds. Pure.
 */
const MASK = '****';
const SECRET_NAME = /password|passwd|secret|token|key/i;
const FLAG = /^(--?[A-Za-z0-9][\w.-]*)(=.*)?$/s;
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=/;
const AUTH_SCHEME = /\b(Bearer|Basic)(\s+)[^\s"',;]+/gi;
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^@\s/]*@/gi;
const JWT = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;

/** Masks what looks secret inside one word (scheme credentials, URL passwords, JWTs, held tokens). */
function maskInside(word: string, held: readonly string[]): string {
  let out = word.replace(AUTH_SCHEME, `$1$2${MASK}`).replace(URL_PASSWORD, `$1:${MASK}@`).replace(JWT, MASK);
  for (const token of held) if (token.length >= 8) out = out.split(token).join(MASK);
  return out;
}

/**
 * The argv with secrets masked; the program name (argv[0]) is kept.
 * `held`: the tokens guard holds for this session (access, refresh, ID).
 */
export function maskArgv(argv: readonly string[], held: readonly string[] = []): string[] {
  const out: string[] = [];
  let maskNext = false;
  for (const [i, word] of argv.entries()) {
    if (maskNext) {
      out.push(MASK);
      maskNext = false;
      continue;
    }
    const flag = i > 0 ? FLAG.exec(word) : null;
    const assignment = i > 0 && !flag ? ASSIGNMENT.exec(word) : null;
    if (flag && SECRET_NAME.test(flag[1]!)) {
      if (flag[2] !== undefined) out.push(`${flag[1]}=${MASK}`);
      else {
        out.push(word);
        maskNext = true; // --password hunter2
      }
    } else if (assignment && SECRET_NAME.test(assignment[1]!)) out.push(`${assignment[1]}=${MASK}`);
    else if (/^(Bearer|Basic)$/i.test(word) || /^Authorization:\s*(Bearer|Basic)$/i.test(word)) {
      out.push(word);
      maskNext = true; // -H "Authorization:" "Bearer" TOKEN, split into words
    } else out.push(maskInside(word, held));
  }
  return out;
}
