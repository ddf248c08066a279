/**
 * Built-in masking of secrets in a logged argv (SPEC §13), applied before
 * any `audit.secret_patterns` of the config. Pure. What is masked:
 *
 * - the value of a flag whose name contains password, passwd, secret,
 *   token or key, in both `--flag=value` and `--flag value` forms, every
 *   time it occurs (`--key-file=PATH` and `--monkey=x` too: SPEC says
 *   "contains", and a name is no proof that a value is harmless);
 * - a `NAME=value` anywhere inside a word whose NAME (letters, digits,
 *   `_ . -`, so dotted and prefixed names) contains one of those words:
 *   libpq's `password=` in a connection string, `--from-literal=password=…`,
 *   `--set=db.password=…`, `-var=db_password=…`, `a.password=…` after
 *   `--set`. The value is read as libpq reads a conninfo (white space around
 *   `=`, quotes with backslash escapes) and, in a word with a `;`, as
 *   ADO.NET reads `Password=my SECRET pw;`, whichever ends later: a comma or
 *   `&` may belong to the password, so what follows it in the same word is
 *   masked too;
 * - the credential of an HTTP header: `Authorization: SCHEME X` (any
 *   scheme: Bearer, Basic, Token…) keeps its scheme, and the whole value of
 *   a header whose name contains one of the words (`X-Api-Key`,
 *   `X-Auth-Token`) or is `Cookie`; also `Bearer X` / `Basic X` anywhere
 *   (RFC 6750 §2.1, RFC 7617);
 * - the password of a URL's userinfo (RFC 3986 §3.2.1), up to the last `@`
 *   before the query, so a password holding `/`, `@` or `:` is masked whole;
 *   in libpq's `postgres://` URI also one holding `?` or `#`;
 * - the password flags of the tools guard wraps whose flag names do not say
 *   so (their manuals): mysql's and mariadb's `-pSECRET`, redis-cli's `-a`,
 *   sshpass's `-p`, `docker|podman|nerdctl login -p`, curl's
 *   `-u|--user|-U|--proxy-user USER:PASSWORD` (the user is kept), and
 *   `aws configure set NAME VALUE`;
 * - any JWT-looking word part (RFC 7519 §3) and any token guard itself holds.
 */
import { basename } from 'node:path';

const MASK = '****';
const SECRET = 'password|passwd|secret|token|key';
const SECRET_NAME = new RegExp(SECRET, 'i');
const FLAG = /^(--?[A-Za-z0-9][\w.-]*)(=.*)?$/s;
/** `NAME=value` inside a word: the name not glued to a longer name before it; white space around `=` as libpq allows it. */
const ASSIGNMENT = new RegExp(`(^|[^A-Za-z0-9_.-])([A-Za-z0-9_.-]*(?:${SECRET})[A-Za-z0-9_.-]*)(\\s*=\\s*)`, 'gi');
/** An HTTP header in a word (`-H 'Name: value'`, `--header=Name: value`, git's `http.extraHeader=Name: value`). */
const HEADER = /^((?:[^\s=:]+=)?\s*([A-Za-z][A-Za-z0-9_-]*)\s*:)(\s*)(.*)$/s;
const SECRET_HEADER = new RegExp(`${SECRET}|^cookie$`, 'i');
const AUTHORIZATION = /^(?:proxy-)?authorization$/i;
const AUTH_SCHEME = /\b(Bearer|Basic)(\s+)[^\s"',;]+/gi;
/** HTTP authentication schemes (IANA registry, and the `Token`/`Bot` of common APIs): a word that is one alone has its credential in the next word. */
const SCHEME_NAME = /^(?:Bearer|Basic|Token|Bot|Digest|Negotiate|NTLM|DPoP|HOBA|Mutual|SCRAM-SHA-\d+|AWS4-HMAC-SHA256)$/i;
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^\s?#]*@/gi;
/** libpq's URI: its userinfo runs to the `@` whatever comes before it, `?` and `#` included (psql sends `pa?ss` for `postgres://bob:pa?ss@db`). */
const LIBPQ_URI_PASSWORD = /\b(postgres(?:ql)?:\/\/[^/\s:@]*):[^\s/]*@/gi;
const JWT = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;

/** Programs whose password flag's name does not say so: the flag, and whether `-p SECRET` (two words) is the password too. */
const PASSWORD_FLAGS: Readonly<Record<string, { flag: string; separate: boolean }>> = {
  ...Object.fromEntries(
    ['mysql', 'mysqldump', 'mysqladmin', 'mysqlimport', 'mysqlshow', 'mysqlcheck', 'mysqlslap', 'mariadb', 'mariadb-dump', 'mariadb-admin', 'mariadb-import', 'mariadb-show', 'mariadb-check']
      // `mysql -p db` asks for the password and opens db: only the glued form holds one.
      .map((program) => [program, { flag: '-p', separate: false }]),
  ),
  'redis-cli': { flag: '-a', separate: true },
  sshpass: { flag: '-p', separate: true },
};
const LOGIN_P = new Set(['docker', 'podman', 'nerdctl']);
const USER_PASSWORD_FLAGS = new Set(['-u', '--user', '-U', '--proxy-user']);

/** What a word says about the word after it. */
type Next = 'mask' | 'user-password' | undefined;

interface ProgramRules {
  /** The program's password flag. */
  password?: { flag: string; separate: boolean };
  /** curl: `-u USER:PASSWORD`. */
  userPassword: boolean;
  /** The index of a word that is a secret by its place: `aws configure set aws_secret_access_key VALUE`. */
  secretAt?: number;
}

function programRules(argv: readonly string[]): ProgramRules {
  const program = basename(argv[0] ?? '');
  const firstWord = argv.slice(1).find((word) => !word.startsWith('-'));
  const configure = program === 'aws' ? argv.indexOf('configure') : -1;
  return {
    password: PASSWORD_FLAGS[program] ?? (LOGIN_P.has(program) && firstWord === 'login' ? { flag: '-p', separate: true } : undefined),
    userPassword: program === 'curl',
    ...(configure > 0 && argv[configure + 1] === 'set' && SECRET_NAME.test(argv[configure + 2] ?? '') ? { secretAt: configure + 3 } : {}),
  };
}

/** A flag word and the value glued to it: `--user=V`, `-uV`; no value for `--user` or `-u` alone. */
function splitFlag(word: string): { name: string; value?: string } {
  if (!word.startsWith('--')) return word.length > 2 ? { name: word.slice(0, 2), value: word.slice(2) } : { name: word };
  const eq = word.indexOf('=');
  return eq < 0 ? { name: word } : { name: word.slice(0, eq), value: word.slice(eq + 1) };
}

/** `user:password` → `user:****` (curl prompts for a password it is not given: nothing to mask then). */
const maskUserPassword = (value: string) => (value.includes(':') ? `${value.slice(0, value.indexOf(':'))}:${MASK}` : value);

/**
 * Where a conninfo value that starts at `i` ends, as libpq reads it: a
 * quoted value to its closing quote, an unquoted one to white space; a
 * backslash escapes the next character in both (`'it\\'s'`, `a\\ b`).
 * A `"…"` value runs to its `"` too: no tool's password ends inside one.
 * @see https://www.postgresql.org/docs/15/libpq-connect.html#LIBPQ-CONNSTRING
 */
function libpqValueEnd(word: string, i: number): number {
  const quote = word[i] === "'" || word[i] === '"' ? word[i] : undefined;
  if (quote) {
    for (i++; i < word.length && word[i] !== quote; i += word[i] === '\\' ? 2 : 1);
    return Math.min(i + 1, word.length);
  }
  while (i < word.length && !/\s/.test(word[i]!)) i += word[i] === '\\' ? 2 : 1;
  return Math.min(i, word.length);
}

/** The same value read as ADO.NET reads `Name=value;…`: to the next `;`, a quoted one to its quote (doubled to escape). */
function adoValueEnd(word: string, i: number): number {
  const quote = word[i] === "'" || word[i] === '"' ? word[i] : undefined;
  if (quote) {
    for (i++; i < word.length; i++) {
      if (word[i] !== quote) continue;
      if (word[i + 1] !== quote) return i + 1;
      i++;
    }
    return word.length;
  }
  const semicolon = word.indexOf(';', i);
  return semicolon < 0 ? word.length : semicolon;
}

/**
 * Masks each `NAME=value` whose name says secret. A word may be a libpq
 * conninfo (`host=db password = 'it\\'s pw'`) or an ADO.NET connection
 * string (`Server=db;Password=my SECRET pw;`): when it holds a `;`, the
 * value runs to whichever reading ends later, so neither leaves part of it.
 */
function maskAssignments(word: string): string {
  let out = '';
  let from = 0;
  ASSIGNMENT.lastIndex = 0;
  for (let match = ASSIGNMENT.exec(word); match; match = ASSIGNMENT.exec(word)) {
    const start = match.index + match[0].length;
    let end = libpqValueEnd(word, start);
    if (word.includes(';')) end = Math.max(end, adoValueEnd(word, start));
    if (end === start) continue; // `password=` and nothing: nothing to mask
    out += `${word.slice(from, start)}${MASK}`;
    from = ASSIGNMENT.lastIndex = end;
  }
  return out + word.slice(from);
}

/** Masks what looks secret inside one word: NAME=value pairs, a header's credential, scheme credentials, URL passwords, JWTs, held tokens. */
function maskInside(word: string, held: readonly string[]): string {
  let out = maskAssignments(word);
  const header = HEADER.exec(out);
  if (header && header[4] && (AUTHORIZATION.test(header[2]!) || SECRET_HEADER.test(header[2]!))) {
    // `Authorization: Token X` keeps its scheme, a credential without one is masked whole.
    const scheme = AUTHORIZATION.test(header[2]!) ? /^\S+\s+(?=\S)/.exec(header[4]!)?.[0] ?? '' : '';
    out = `${header[1]}${header[3]}${scheme}${MASK}`;
  }
  out = out.replace(AUTH_SCHEME, `$1$2${MASK}`).replace(URL_PASSWORD, `$1:${MASK}@`).replace(LIBPQ_URI_PASSWORD, `$1:${MASK}@`).replace(JWT, MASK);
  for (const token of held) if (token.length >= 8) out = out.split(token).join(MASK);
  return out;
}

/** One word (not the program's name): its masked form, and what it says about the next word. */
function maskWord(word: string, rules: ProgramRules, held: readonly string[]): { out: string; next: Next } {
  const { password } = rules;
  if (password && word.startsWith(password.flag)) {
    if (word.length > password.flag.length) return { out: `${password.flag}${MASK}`, next: undefined };
    if (password.separate) return { out: word, next: 'mask' };
  }
  if (rules.userPassword) {
    const { name, value } = splitFlag(word);
    if (USER_PASSWORD_FLAGS.has(name)) return value === undefined ? { out: word, next: 'user-password' } : { out: `${word.slice(0, word.length - value.length)}${maskUserPassword(value)}`, next: undefined };
  }
  const flag = FLAG.exec(word);
  if (flag && SECRET_NAME.test(flag[1]!)) {
    if (flag[2] !== undefined) return { out: `${flag[1]}=${MASK}`, next: undefined };
    // --password hunter2; a boolean `--password-stdin` reads it from stdin: the next word is no password.
    return { out: word, next: /-stdin$/i.test(flag[1]!) ? undefined : 'mask' };
  }
  // -H "Authorization:" "Bearer" TOKEN, or -H "X-Api-Key:" KEY, split into words.
  if (/^(Bearer|Basic)$/i.test(word) || SCHEME_NAME.test(/^(?:proxy-)?authorization:\s*(\S+)$/i.exec(word)?.[1] ?? '')) return { out: word, next: 'mask' };
  const bareHeader = /^([A-Za-z][A-Za-z0-9_-]*):$/.exec(word);
  if (bareHeader && SECRET_HEADER.test(bareHeader[1]!)) return { out: word, next: 'mask' };
  return { out: maskInside(word, held), next: undefined };
}

/**
 * The argv with secrets masked; the program name (argv[0]) is kept.
 * `held`: the tokens guard holds for this session (access, refresh, ID).
 */
export function maskArgv(argv: readonly string[], held: readonly string[] = []): string[] {
  const rules = programRules(argv);
  const out: string[] = argv.length > 0 ? [argv[0]!] : [];
  let next: Next;
  for (const [i, word] of argv.entries()) {
    if (i === 0) continue;
    if (next === 'mask') out.push(MASK);
    else if (next === 'user-password') out.push(maskInside(maskUserPassword(word), held));
    else if (i === rules.secretAt) out.push(MASK);
    else {
      const masked = maskWord(word, rules, held);
      out.push(masked.out);
      next = masked.next;
      continue;
    }
    next = undefined;
  }
  return out;
}
