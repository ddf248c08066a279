/**
 * The host, database and user named by a libpq connection string in argv:
 * a URI (`postgresql://user@host:5432/db`) or key/value pairs
 * (`"host=prod-db dbname=app"`), as psql accepts in place of a database
 * name. Pure and forgiving: it only has to see what libpq would see.
 *
 * @see https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING
 */

export interface PgTarget {
  host?: string[];
  dbname?: string;
  user?: string;
}

const URI = /postgres(?:ql)?:\/\/\S*/;
const PAIR = /(?:^|\s)(host|hostaddr|dbname|user)\s*=\s*('(?:[^'\\]|\\.)*'|\S*)/g;

function fromUri(uri: string): PgTarget {
  // user:password@host1:port,host2/dbname?host=x — URL() refuses several hosts, so split by hand.
  const rest = uri.replace(/^postgres(?:ql)?:\/\//, '');
  const query = rest.includes('?') ? new URLSearchParams(rest.slice(rest.indexOf('?') + 1)) : new URLSearchParams();
  const beforeQuery = rest.split('?')[0]!;
  const slash = beforeQuery.indexOf('/');
  const authority = slash < 0 ? beforeQuery : beforeQuery.slice(0, slash);
  const path = slash < 0 ? '' : beforeQuery.slice(slash + 1);
  const at = authority.lastIndexOf('@');
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  };
  const hostOf = (part: string) => decode(part.startsWith('[') ? part.slice(1, part.indexOf(']')) : part.replace(/:\d*$/, ''));
  const host = [...(at >= 0 ? authority.slice(at + 1) : authority).split(',').filter(Boolean).map(hostOf), ...query.getAll('host'), ...query.getAll('hostaddr')];
  const dbname = query.get('dbname') ?? (path ? decode(path) : undefined);
  const user = query.get('user') ?? (at >= 0 ? decode(authority.slice(0, at).split(':')[0]!) : undefined);
  return { ...(host.length > 0 ? { host } : {}), ...(dbname ? { dbname } : {}), ...(user ? { user } : {}) };
}

function fromPairs(text: string): PgTarget {
  const target: PgTarget = {};
  for (const [, key, raw] of text.matchAll(PAIR)) {
    const value = raw!.startsWith("'") ? raw!.slice(1, -1).replace(/\\(.)/g, '$1') : raw!;
    if (key === 'host' || key === 'hostaddr') target.host = [...(target.host ?? []), ...value.split(',').filter(Boolean)];
    else if (key === 'dbname') target.dbname = value;
    else target.user = value;
  }
  return target;
}

/** The target a word names, if it holds a connection string (also as `--dbname=…`). */
export function pgTargetOf(word: string): PgTarget | undefined {
  const uri = URI.exec(word);
  if (uri) return fromUri(uri[0]);
  const text = word.replace(/^--?[A-Za-z-]+=/, '');
  if (!/(?:^|\s)(host|hostaddr|dbname|user)\s*=/.test(text)) return undefined;
  return fromPairs(text);
}
