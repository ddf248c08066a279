/**
 * pg_service.conf, read as libpq's parseServiceFile reads it: lines trimmed
 * at both ends, `#` comments, `[name]` sections (anything after the `]` is
 * ignored), `key=value` with neither side unquoted or trimmed further; the
 * first section of the name is the one used. Pure.
 *
 * @see https://www.postgresql.org/docs/15/libpq-pgservice.html
 */

export type ServiceLookup = { found: false } | { found: true; entries: Map<string, string> } | { problem: string };

/** libpq reads lines into a 1024-byte buffer and refuses a longer one. */
const MAX_LINE = 1022;

const trim = (line: string) => line.replace(/^[ \t\n\v\f\r]+/, '').replace(/[ \t\n\v\f\r]+$/, '');

/** The entries of service `name` in one file's text; `problem` where libpq would refuse the file. */
export function findService(text: string, name: string): ServiceLookup {
  let inGroup = false;
  let entries: Map<string, string> | undefined;
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    if (Buffer.byteLength(raw) + (index < lines.length - 1 ? 1 : 0) > MAX_LINE) return { problem: `line ${index + 1} too long` };
    const line = trim(raw);
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      if (inGroup) break;
      inGroup = line.startsWith(name, 1) && line[name.length + 1] === ']';
      if (inGroup) entries = new Map();
      continue;
    }
    if (!inGroup) continue;
    const eq = line.indexOf('=');
    if (eq < 0) return { problem: `syntax error in line ${index + 1}` };
    const key = line.slice(0, eq);
    if (key === 'service') return { problem: `nested service specifications not supported (line ${index + 1})` };
    // The first setting of a key in the section wins; libpq refuses a key it does not know, which is psql's own error.
    if (!entries!.has(key)) entries!.set(key, line.slice(eq + 1));
  }
  return entries ? { found: true, entries } : { found: false };
}
