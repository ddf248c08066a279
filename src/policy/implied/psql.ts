/**
 * psql's (libpq's) target (SPEC §14): the hosts, port, database, user and
 * service it will connect with, found as psql 15 and libpq find them —
 * checked against the real psql (test/integration/psql-oracle.test.ts):
 *
 * 1. argv as getopt_long reads it (psql-options.ts): `-h`, `-p`, `-U`, `-d`
 *    (the last of each), then the first operand as the database unless `-d`
 *    gave one, the next as the user unless `-U` did; an empty value is no
 *    value;
 * 2. a database name that is a connection string replaces what argv set
 *    with what it sets (an empty value included);
 * 3. the service (`service=` there, else PGSERVICE): its entries in
 *    PGSERVICEFILE or ~/.pg_service.conf (libpq's ~: home-dir.ts), else in PGSYSCONFDIR's
 *    pg_service.conf, fill what is still unset;
 * 4. PGHOST, PGHOSTADDR, PGPORT, PGDATABASE, PGUSER fill the rest.
 *
 * libpq's own defaults (a unix socket when no host, port 5432, the OS user,
 * a database named as the user) are no implied words (SPEC §2). Pure: files
 * and the environment come through the injected reader.
 */
import { join } from 'node:path';
import { getoptLong } from './getopt-long.ts';
import { libpqHome, showPath } from './home-dir.ts';
import type { ImpliedReader, ImpliedWord } from './implied-types.ts';
import { isConnectionString, parseConninfo } from './pg-connection.ts';
import { findService } from './pg-service.ts';
import { PSQL_LONG_OPTIONS, PSQL_OPTSTRING } from './psql-options.ts';

/** The libpq keywords that name the target, with their environment variables. */
const KEYWORDS = [
  ['host', 'PGHOST'],
  ['hostaddr', 'PGHOSTADDR'],
  ['port', 'PGPORT'],
  ['dbname', 'PGDATABASE'],
  ['user', 'PGUSER'],
] as const;
type Keyword = (typeof KEYWORDS)[number][0];
const ALL_KEYWORDS: ReadonlyArray<Keyword | 'service'> = [...KEYWORDS.map(([keyword]) => keyword), 'service'];

export interface PgSetting {
  value: string;
  source: string;
}

export interface PgTarget {
  settings: Partial<Record<Keyword | 'service', PgSetting>>;
  /** Why the keywords not set by argv are unknown (an unreadable service file, a service no file defines, a connection string libpq refuses). */
  unknown?: { keywords: ReadonlyArray<Keyword | 'service'>; source: string; reason: string };
}

/**
 * Where libpq looks for the system service file when PGSYSCONFDIR is unset:
 * its build's sysconfdir, which guard cannot ask for cheaply; the first of
 * these folders that holds a pg_service.conf is taken (Debian and Ubuntu,
 * the PGDG RPMs, a source build, Homebrew).
 */
const SYSCONFDIRS = ['/etc/postgresql-common', '/etc/sysconfig/pgsql', '/usr/local/pgsql/etc', '/opt/homebrew/etc', '/usr/local/etc'];

/** psql's `\c` / `\connect` meta-command: a `-c` that holds one connects again, elsewhere. */
const RECONNECT = /(?:^|[^\\])\\c(?:onnect)?(?:\s|$)/;

type ArgvSettings = Partial<Record<'host' | 'port' | 'user' | 'dbname', PgSetting>> & { reconnects?: boolean };

/** psql's options, then its operands: what argv asks libpq for (psql's startup.c). */
function readArgv(argv: readonly string[], env: ImpliedReader['env']): ArgvSettings {
  const parsed = getoptLong(argv.slice(1), PSQL_OPTSTRING, PSQL_LONG_OPTIONS, env.POSIXLY_CORRECT !== undefined);
  const set: ArgvSettings = {};
  if (parsed.options.some((option) => option.key === 'c' && RECONNECT.test(option.value ?? ''))) set.reconnects = true;
  const keys = { h: 'host', p: 'port', U: 'user', d: 'dbname' } as const;
  for (const option of parsed.options) {
    const keyword = keys[option.key as keyof typeof keys];
    if (keyword && option.value !== undefined) set[keyword] = { value: option.value, source: `argv (-${option.key})` };
  }
  for (const operand of parsed.operands) {
    if (!set.dbname) set.dbname = { value: operand, source: 'argv' };
    else if (!set.user) set.user = { value: operand, source: 'argv' };
  }
  return set;
}

/** The target psql will connect to, each setting with where it came from. */
export function resolvePgTarget(argv: readonly string[], reader: ImpliedReader): PgTarget {
  const { env } = reader;
  const settings: PgTarget['settings'] = {};
  const typed = readArgv(argv, env);
  if (typed.reconnects) return { settings: {}, unknown: { keywords: ALL_KEYWORDS, source: 'argv (-c)', reason: 'a \\connect in -c connects again, to a target argv does not say' } };
  // PQconnectdbParams skips empty values: `-h ''` leaves the host to the service and the environment.
  for (const keyword of ['host', 'port', 'user'] as const) if (typed[keyword]?.value) settings[keyword] = typed[keyword];
  const dbname = typed.dbname;
  if (dbname?.value && isConnectionString(dbname.value)) {
    const parsed = parseConninfo(dbname.value);
    const source = dbname.source === 'argv' ? 'argv (connection string)' : 'argv (-d, connection string)';
    if ('problem' in parsed) return { settings: {}, unknown: { keywords: ALL_KEYWORDS, source, reason: `psql refuses the connection string (${parsed.problem})` } };
    for (const [key, value] of parsed.options) {
      if (key === 'service' || KEYWORDS.some(([keyword]) => keyword === key)) settings[key as Keyword | 'service'] = { value, source };
    }
  } else if (dbname?.value) settings.dbname = dbname;

  let unknown: PgTarget['unknown'];
  const service = settings.service ?? (env.PGSERVICE !== undefined ? { value: env.PGSERVICE, source: 'PGSERVICE' } : undefined);
  if (service) {
    settings.service = service;
    const found = readService(service.value, reader);
    const unset = KEYWORDS.map(([keyword]) => keyword).filter((keyword) => !settings[keyword]);
    if ('problem' in found) unknown = { keywords: unset, source: found.source, reason: found.problem };
    else for (const keyword of unset) {
      const value = found.entries.get(keyword);
      if (value !== undefined) settings[keyword] = { value, source: found.source };
    }
  }
  for (const [keyword, variable] of KEYWORDS) {
    if (!settings[keyword] && !unknown?.keywords.includes(keyword) && env[variable] !== undefined) settings[keyword] = { value: env[variable]!, source: variable };
  }
  return { settings, ...(unknown ? { unknown } : {}) };
}

/** parseServiceInfo: the user's service file (PGSERVICEFILE, else ~/.pg_service.conf), then the system's; the first that defines the service. */
function readService(name: string, reader: ImpliedReader): { entries: Map<string, string>; source: string } | { problem: string; source: string } {
  const { env } = reader;
  const home = libpqHome(env, reader.home);
  const userFile = env.PGSERVICEFILE ?? (home !== undefined ? join(home, '.pg_service.conf') : undefined);
  // The system file is looked for only when the user's does not define the service (most runs read one file).
  const systemFile = () => (env.PGSYSCONFDIR !== undefined ? join(env.PGSYSCONFDIR, 'pg_service.conf') : SYSCONFDIRS.map((dir) => join(dir, 'pg_service.conf')).find((file) => !('missing' in reader.readText(file))));
  const files: string[] = [];
  for (const next of [() => userFile, systemFile]) {
    const file = next();
    if (file === undefined) continue;
    files.push(file);
    const source = `${showPath(file, reader)} [${name}]`;
    const read = reader.readText(file);
    if ('missing' in read) continue;
    if ('problem' in read) return { problem: `cannot read ${showPath(file, reader)} (${read.problem})`, source };
    const lookup = findService(read.text, name);
    if ('problem' in lookup) return { problem: `psql refuses ${showPath(file, reader)} (${lookup.problem})`, source };
    if (lookup.found) return { entries: lookup.entries, source };
  }
  return { problem: `no service file defines the service "${name}"`, source: files.map((file) => showPath(file, reader)).join(', ') };
}

const FLAGS: ReadonlyArray<[Keyword | 'service', string, boolean]> = [
  ['host', '--host', true],
  ['hostaddr', '--host', true],
  ['port', '--port', true],
  ['dbname', '--dbname', false],
  ['user', '--username', false],
  ['service', '--service', false],
];

/**
 * psql's implied words: `--host=` for each host and host address of a list
 * (caseless), `--port=` for each port, `--dbname=`, `--username=`,
 * `--service=`; a word that cannot be known stands for every value.
 */
export function psqlWords(argv: readonly string[], needed: ReadonlySet<string>, reader: ImpliedReader): ImpliedWord[] {
  const target = resolvePgTarget(argv, reader);
  const words: ImpliedWord[] = [];
  for (const [keyword, name, list] of FLAGS) {
    if (!needed.has(name)) continue;
    const caseless = name === '--host' ? { caseless: true } : {};
    const setting = target.settings[keyword];
    if (setting) {
      // Empty elements and values are libpq's defaults (a socket, 5432): no word.
      for (const value of list ? setting.value.split(',') : [setting.value]) if (value) words.push({ name, value, source: setting.source, ...caseless });
    } else if (target.unknown?.keywords.includes(keyword) && !words.some((word) => word.name === name && word.value === undefined)) {
      words.push({ name, value: undefined, source: target.unknown.source, problem: target.unknown.reason, ...caseless });
    }
  }
  return words;
}
