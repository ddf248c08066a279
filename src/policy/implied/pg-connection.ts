/**
 * libpq connection strings, read as libpq reads them (fe-connect.c): a
 * `postgresql://` or `postgres://` URI (several `host:port` pairs, `[v6]`
 * addresses, percent-encoding, `?key=value` parameters), or `key=value`
 * pairs with libpq's quoting (`'…'`, backslash escapes). A word is a
 * connection string when it starts with one of the URI prefixes or holds an
 * `=`. Pure. Keywords are kept whatever they are: one libpq does not know
 * makes psql fail, so reading it costs nothing.
 *
 * @see https://www.postgresql.org/docs/15/libpq-connect.html#LIBPQ-CONNSTRING
 */

/** What a connection string sets: keyword → value (an empty value is set, and hides the service and the environment). */
export type PgOptions = Map<string, string>;
export type ParsedConninfo = { options: PgOptions } | { problem: string };

const URI_PREFIXES = ['postgresql://', 'postgres://'] as const;

/** libpq's recognized_connection_string: a URI prefix (case-sensitive) or an `=` anywhere. */
export function isConnectionString(text: string): boolean {
  return URI_PREFIXES.some((prefix) => text.startsWith(prefix)) || text.includes('=');
}

/** C's isspace in the C locale. */
const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';

/** conninfo_parse: `key = value key2='quoted \' value'`; the last value of a key wins. */
function parsePairs(text: string): ParsedConninfo {
  const options: PgOptions = new Map();
  let i = 0;
  while (i < text.length) {
    if (isSpace(text[i])) {
      i++;
      continue;
    }
    let name = '';
    while (i < text.length && text[i] !== '=' && !isSpace(text[i])) name += text[i++];
    while (isSpace(text[i])) i++;
    if (text[i] !== '=') return { problem: `missing "=" after "${name}" in connection info string` };
    i++;
    while (isSpace(text[i])) i++;
    let value = '';
    if (text[i] !== "'") {
      while (i < text.length && !isSpace(text[i])) {
        if (text[i] === '\\') i++;
        if (i < text.length) value += text[i++];
      }
      i++; // the blank that ended the value
    } else {
      i++;
      for (;;) {
        if (i >= text.length) return { problem: 'unterminated quoted string in connection info string' };
        if (text[i] === '\\') {
          i++;
          if (i < text.length) value += text[i++];
          continue;
        }
        if (text[i] === "'") {
          i++;
          break;
        }
        value += text[i++];
      }
    }
    options.set(name, value);
  }
  return { options };
}

const HEX = /^[0-9A-Fa-f]$/;

/** conninfo_uri_decode: `%XX` as bytes, `%00` and bad escapes refused, `+` kept. */
function uriDecode(text: string): string | undefined {
  const bytes: number[] = [];
  const raw = Buffer.from(text, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== 0x25) {
      bytes.push(raw[i]!);
      continue;
    }
    const hi = String.fromCharCode(raw[i + 1] ?? 0);
    const lo = String.fromCharCode(raw[i + 2] ?? 0);
    if (!HEX.test(hi) || !HEX.test(lo)) return undefined;
    const byte = Number.parseInt(hi + lo, 16);
    if (byte === 0) return undefined;
    bytes.push(byte);
    i += 2;
  }
  return Buffer.from(bytes).toString('utf8');
}

/** conninfo_uri_parse_options, step by step as libpq does it (quirks included: an `@` is looked for up to the first `/`). */
function parseUri(uri: string, prefix: string): ParsedConninfo {
  const options: PgOptions = new Map();
  const store = (key: string, value: string, decode: boolean): string | undefined => {
    const decoded = decode ? uriDecode(value) : value;
    if (decoded === undefined) return `invalid percent-encoded token: "${value}"`;
    options.set(key, decoded);
    return undefined;
  };
  const s = uri.slice(prefix.length);
  let p = 0;
  while (p < s.length && s[p] !== '@' && s[p] !== '/') p++;
  if (s[p] === '@') {
    let end = 0;
    while (s[end] !== ':' && s[end] !== '@') end++;
    const user = s.slice(0, end);
    if (user) {
      const problem = store('user', user, true);
      if (problem) return { problem };
    }
    p = s.indexOf('@', end) + 1; // past the password, if any (it is no part of the target)
  } else p = 0;

  const hosts: string[] = [];
  const ports: string[] = [];
  let terminator = '';
  for (;;) {
    let host: string;
    if (s[p] === '[') {
      const close = s.indexOf(']', p + 1);
      if (close < 0) return { problem: 'end of string reached when looking for matching "]" in IPv6 host address in URI' };
      if (close === p + 1) return { problem: 'IPv6 host address may not be empty in URI' };
      host = s.slice(p + 1, close);
      p = close + 1;
      if (p < s.length && !':/?,'.includes(s[p]!)) return { problem: `unexpected character "${s[p]}" in URI (expected ":" or "/")` };
    } else {
      const start = p;
      while (p < s.length && !':/?,'.includes(s[p]!)) p++;
      host = s.slice(start, p);
    }
    terminator = s[p] ?? '';
    hosts.push(host);
    if (terminator === ':') {
      const start = ++p;
      while (p < s.length && !'/?,'.includes(s[p]!)) p++;
      ports.push(s.slice(start, p));
      terminator = s[p] ?? '';
    } else ports.push('');
    if (terminator !== ',') break;
    p++;
  }
  const hostText = hosts.join(',');
  // As libpq builds it: a list of two hosts or more always sets the port (`,` at least), so
  // PGPORT no longer applies and an empty element is the default port (psql-oracle case 388).
  const portText = ports.join(',');
  for (const [key, value] of [['host', hostText], ['port', portText]] as const) {
    if (!value) continue;
    const problem = store(key, value, true);
    if (problem) return { problem };
  }
  if (terminator && terminator !== '?') {
    const start = ++p;
    while (p < s.length && s[p] !== '?') p++;
    const dbname = s.slice(start, p);
    terminator = s[p] ?? '';
    // libpq leaves an empty dbname unset: it would force the default and hide PGDATABASE.
    if (dbname) {
      const problem = store('dbname', dbname, true);
      if (problem) return { problem };
    }
  }
  if (terminator) {
    // conninfo_uri_parse_params: `key=value` pairs split on `&`; an empty pair (`a=1&&b=2`) is an error, a trailing `&` is not.
    let at = p + 1;
    while (at < s.length) {
      let end = at;
      while (end < s.length && s[end] !== '&') end++;
      const pair = s.slice(at, end);
      const eq = pair.indexOf('=');
      if (eq < 0) return { problem: `missing key/value separator "=" in URI query parameter: "${pair}"` };
      if (pair.indexOf('=', eq + 1) >= 0) return { problem: `extra key/value separator "=" in URI query parameter: "${pair}"` };
      const key = uriDecode(pair.slice(0, eq));
      const value = uriDecode(pair.slice(eq + 1));
      if (key === undefined || value === undefined) return { problem: `invalid percent-encoded token: "${pair}"` };
      const jdbc = key === 'ssl' && value === 'true';
      options.set(jdbc ? 'sslmode' : key, jdbc ? 'require' : value);
      at = end + 1;
    }
  }
  return { options };
}

/** The options a connection string sets (URI or key/value pairs), or why libpq refuses it. */
export function parseConninfo(text: string): ParsedConninfo {
  const prefix = URI_PREFIXES.find((candidate) => text.startsWith(candidate));
  return prefix ? parseUri(text, prefix) : parsePairs(text);
}
