/**
 * The psql/libpq resolver against the real psql 15 and a real PostgreSQL 15
 * server (issue 22, SPEC §14): for generated argv × environment × service
 * files, the database, user, port and host that guard resolves are what
 * psql really connects with — `select current_database(), current_user,
 * current_setting('port')` and `\echo :HOST` when it connects, and its own error
 * lines (`could not translate host name "X"`, `connection to server at "H",
 * port N`, `database "D" does not exist`, `role "U" does not exist`) when it
 * does not. Hosts that do not exist are names under `.invalid` (they fail at
 * once); then every host of the list must be named, in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { psqlWords, resolvePgTarget, type PgSetting } from '../../src/policy/implied/psql.ts';
import { PSQL_LONG_OPTIONS, PSQL_OPTSTRING } from '../../src/policy/implied/psql-options.ts';
import { systemImpliedReader } from '../../src/policy/implied/read-implied.ts';
import type { Deps } from '../../src/deps.ts';
import { startPostgres, type Postgres } from '../support/postgres.ts';
import { freePort } from '../support/net.ts';
import { mapLimit, oracleSeed, runProcess } from '../support/oracle.ts';

const CASES = Number(process.env.GUARD_ORACLE_CASES ?? 500);
const OS_USER = userInfo().username;
const QUERY = ['-X', '-A', '-t', '-c', "select current_database(), current_user, current_setting('port')", '-c', '\\echo :HOST'];
const NEEDED = new Set(['--host', '--port', '--dbname', '--username', '--service']);

let pg: Postgres;
let closedPort: number;
let root: string;

beforeAll(async () => {
  pg = await startPostgres();
  closedPort = await freePort();
  for (const role of ['alice', 'prod_admin']) pg.sql(`create role ${role} login`);
  for (const db of ['app', 'prod_app', 'alice']) pg.sql(`create database ${db}`);
  root = mkdtempSync(join(tmpdir(), 'guard-pg-cases-'));
}, 60_000);

afterAll(() => {
  pg?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

type Field = 'host' | 'hostaddr' | 'port' | 'dbname' | 'user' | 'service';
interface Pools {
  host: fc.Arbitrary<string>;
  port: fc.Arbitrary<string>;
  hostaddr: fc.Arbitrary<string>;
}

/** Values psql can reach (the test server, a closed port) or names that fail at once (`.invalid`). */
function pools(reachable: boolean): Pools {
  const one = reachable ? fc.constantFrom('127.0.0.1', 'localhost', 'LocalHost', '@SOCKET@') : fc.constantFrom('prod-db.invalid', 'PROD-db.invalid', 'a.invalid', 'svc.invalid.');
  return {
    host: fc.oneof({ weight: 4, arbitrary: one }, { weight: 1, arbitrary: fc.array(one, { minLength: 2, maxLength: 3 }).map((hosts) => hosts.join(',')) }),
    port: reachable ? fc.constantFrom('@PORT@', '@PORT@', '@PORT@', '@CLOSED@') : fc.constant('@PORT@'),
    hostaddr: fc.constant('127.0.0.1'),
  };
}
const DBNAME = fc.constantFrom('app', 'prod_app', 'nodb', 'Prod_App', 'alice');
const USER = fc.constantFrom('alice', 'prod_admin', 'postgres', 'ghost');
const SERVICE = fc.constantFrom('prod', 'dev', 'missing');

function fieldValue(field: Field, p: Pools): fc.Arbitrary<string> {
  return { host: p.host, hostaddr: p.hostaddr, port: p.port, dbname: DBNAME, user: USER, service: SERVICE }[field];
}

/** A set of fields with values; hostaddr only where it can be reached. */
function fields(p: Pools, reachable: boolean, allowed: readonly Field[]): fc.Arbitrary<Array<[Field, string]>> {
  const names = allowed.filter((field) => reachable || field !== 'hostaddr');
  return fc.subarray(names, { minLength: 1 }).chain((chosen) => fc.tuple(...chosen.map((field) => fieldValue(field, p).map((value): [Field, string] => [field, value]))));
}

const quoteKv = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const percent = (value: string, all: boolean) => (value.startsWith('@') ? value : all ? [...Buffer.from(value)].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('') : encodeURIComponent(value));

/** A connection string: key=value pairs (libpq's quoting, blanks around `=`) or a URI (hosts, ports, path, query, percent-encoding). */
function connectionString(p: Pools, reachable: boolean): fc.Arbitrary<string> {
  const kv = fc.tuple(fields(p, reachable, ['host', 'hostaddr', 'port', 'dbname', 'user', 'service']), fc.array(fc.constantFrom('plain', 'quoted', 'spaced'), { minLength: 6, maxLength: 6 })).map(([pairs, styles]) =>
    pairs.map(([field, value], i) => (styles[i] === 'quoted' ? `${field}=${quoteKv(value)}` : styles[i] === 'spaced' ? `${field} = ${value}` : `${field}=${value}`)).join(' '),
  );
  const uri = fc
    .record({
      scheme: fc.constantFrom('postgresql://', 'postgres://'),
      user: fc.option(USER, { nil: undefined }),
      hosts: fc.array(fc.tuple(fc.constantFrom(...(reachable ? ['127.0.0.1', 'localhost', ''] : ['prod-db.invalid', 'a.invalid', 'Svc.invalid'])), fc.option(p.port, { nil: undefined })), { minLength: 1, maxLength: 2 }),
      dbname: fc.option(DBNAME, { nil: undefined }),
      query: fields(p, reachable, ['host', 'port', 'dbname', 'user', 'service']).map((pairs) => pairs.slice(0, 2)),
      withQuery: fc.boolean(),
      encodeAll: fc.boolean(),
    })
    .map(({ scheme, user, hosts, dbname, query, withQuery, encodeAll }) => {
      const authority = hosts.map(([host, port]) => `${percent(host, encodeAll && host !== '')}${port ? `:${port}` : ''}`).join(',');
      const path = dbname === undefined ? '' : `/${percent(dbname, encodeAll)}`;
      const params = withQuery ? `${path ? '' : '/'}?${query.map(([field, value]) => `${field}=${percent(value, encodeAll)}`).join('&')}` : '';
      return `${scheme}${user ? `${user}@` : ''}${authority}${path}${params}`;
    });
  return fc.oneof(kv, uri);
}

/** One psql option setting a field, in one of getopt_long's spellings. */
function typedOption(p: Pools): fc.Arbitrary<string[]> {
  const spell = (short: string, long: string, value: fc.Arbitrary<string>) =>
    fc.tuple(value, fc.integer({ min: 0, max: 7 })).map(([v, form]) => [[`-${short}`, v], [`-${short}${v}`], [`-X${short}`, v], [`-X${short}${v}`], [`--${long}`, v], [`--${long}=${v}`], [`--${long.slice(0, 3)}=${v}`], [`--${long.slice(0, 4)}`, v]][form]!);
  return fc.oneof(spell('h', 'host', p.host), spell('p', 'port', p.port), spell('U', 'username', USER), spell('d', 'dbname', fc.oneof(DBNAME, connectionString(p, true))));
}

/** Options that take values that must not be read as the target. */
const NOISE = fc.constantFrom(['-q'], ['-n'], ['--no-psqlrc'], ['-v', 'x=host=evil.invalid'], ['--set=host=evil.invalid'], ['-P', 'footer=off'], ['-T', 'host=evil.invalid'], ['-L', '/dev/null']);

function serviceFile(p: Pools, reachable: boolean): fc.Arbitrary<string> {
  const section = fc.tuple(SERVICE, fields(p, reachable, ['host', 'hostaddr', 'port', 'dbname', 'user']), fc.boolean()).map(([name, entries, padded]) =>
    [`${padded ? '  ' : ''}[${name}]${padded ? ' # a comment' : ''}`, ...entries.map(([field, value]) => `${padded ? '\t' : ''}${field}=${value}${padded ? ' ' : ''}`)].join('\n'),
  );
  return fc.array(section, { maxLength: 3 }).map((sections) => `# generated\n${sections.join('\n\n')}\n`);
}

const ENV_OF: Record<Exclude<Field, never>, string> = { host: 'PGHOST', hostaddr: 'PGHOSTADDR', port: 'PGPORT', dbname: 'PGDATABASE', user: 'PGUSER', service: 'PGSERVICE' };

const caseArbitrary = fc.boolean().chain((reachable) => {
  const p = pools(reachable);
  return fc.record({
    reachable: fc.constant(reachable),
    options: fc.array(fc.oneof({ weight: 3, arbitrary: typedOption(p) }, { weight: 1, arbitrary: NOISE }), { maxLength: 4 }),
    operands: fc.array(fc.oneof(DBNAME, USER, connectionString(p, reachable)), { maxLength: 3 }),
    order: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
    dashdash: fc.boolean(),
    env: fields(p, reachable, ['host', 'hostaddr', 'port', 'dbname', 'user', 'service']).chain((pairs) =>
      fc.tuple(fc.constant(pairs), fc.array(fc.boolean(), { minLength: pairs.length, maxLength: pairs.length })),
    ),
    withEnv: fc.boolean(),
    /** A usual set-up under the generated one: PGHOST and PGPORT naming the test server. */
    base: fc.boolean().map((base) => base && reachable),
    home: fc.option(serviceFile(p, reachable), { nil: undefined }),
    serviceFile: fc.option(fc.option(serviceFile(p, reachable), { nil: null }), { nil: undefined }),
    sysconf: fc.option(serviceFile(p, reachable), { nil: undefined }),
    posixly: fc.boolean(),
  });
});
type Case = typeof caseArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** The case made concrete: argv, environment and files under its own folder. */
function materialize(c: Case, index: number): { argv: string[]; env: NodeJS.ProcessEnv } {
  const fill = (text: string) => text.replaceAll('@SOCKET@', pg.socketDir).replaceAll('@PORT@', String(pg.port)).replaceAll('@CLOSED@', String(closedPort));
  const dir = join(root, String(index));
  mkdirSync(dir);
  const env: NodeJS.ProcessEnv = { PATH: '/usr/bin:/bin', HOME: dir, ...(c.base ? { PGHOST: '127.0.0.1', PGPORT: '@PORT@' } : {}) };
  if (c.withEnv) c.env[0].forEach(([field, value], i) => (env[ENV_OF[field]] = c.env[1][i] ? value : ''));
  for (const key of Object.keys(env)) env[key] = fill(env[key]!);
  if (c.home !== undefined) writeFileSync(join(dir, '.pg_service.conf'), fill(c.home));
  if (c.serviceFile !== undefined) {
    // null: PGSERVICEFILE names a file that does not exist (libpq then goes on to the system's).
    env.PGSERVICEFILE = join(dir, 'services.conf');
    if (c.serviceFile !== null) writeFileSync(env.PGSERVICEFILE, fill(c.serviceFile));
  }
  if (c.sysconf !== undefined) {
    mkdirSync(join(dir, 'etc'));
    writeFileSync(join(dir, 'etc', 'pg_service.conf'), fill(c.sysconf));
    env.PGSYSCONFDIR = join(dir, 'etc');
  }
  if (c.posixly) env.POSIXLY_CORRECT = '1';
  // Options and operands interleaved as the order says (GNU permutation), or operands after `--`.
  const chunks = [...c.options.map((words) => ({ words, operand: false })), ...c.operands.map((word) => ({ words: [word], operand: true }))];
  const sorted = c.dashdash ? [...chunks.filter((chunk) => !chunk.operand), { words: ['--'], operand: false }, ...chunks.filter((chunk) => chunk.operand)] : chunks.map((chunk, i) => ({ chunk, key: c.order[i % 8]! * 16 + i })).sort((a, b) => a.key - b.key).map(({ chunk }) => chunk);
  return { argv: ['psql', ...QUERY, ...sorted.flatMap((chunk) => chunk.words).map(fill)], env };
}

interface Resolved {
  /** Every host libpq will try, an empty element as its default socket folder. */
  hosts: string[];
  ports: string[];
  dbname?: string;
  user?: string;
  unknown: string[];
}

const DEFAULT_SOCKET = '/var/run/postgresql';
/** The server truncates identifiers to NAMEDATALEN - 1 bytes; libpq sends them whole. */
const identifier = (name: string) => Buffer.from(name).subarray(0, 63).toString();

function resolve(argv: string[], env: NodeJS.ProcessEnv): Resolved {
  const deps = { env, cwd: root, paths: { stateDir: join(root, 'state') }, now: () => Date.now() } as unknown as Deps;
  const reader = systemImpliedReader(deps);
  const { settings } = resolvePgTarget(argv, reader);
  const words = psqlWords(argv, NEEDED, reader);
  const list = (setting?: PgSetting) => (setting ? setting.value.split(',') : []);
  const hosts = [...list(settings.host), ...list(settings.hostaddr)];
  // The words are the target's values less libpq's defaults (empty elements).
  expect(words.filter((word) => word.name === '--host' && word.value !== undefined).map((word) => word.value)).toEqual(hosts.filter(Boolean));
  const ports = list(settings.port).map((port) => port || '5432');
  return {
    hosts: hosts.length > 0 ? hosts.map((host) => host || DEFAULT_SOCKET) : [DEFAULT_SOCKET],
    ports: ports.length > 0 ? ports : ['5432'],
    ...(settings.dbname?.value ? { dbname: settings.dbname.value } : {}),
    ...(settings.user?.value ? { user: settings.user.value } : {}),
    unknown: words.filter((word) => word.value === undefined).map((word) => word.name),
  };
}

/** Error lines where psql names what it could not use; anything else it says about a bad input. */
const LIBPQ_REFUSALS = /definition of service|service file|missing "="|unterminated quoted string|invalid percent-encoded|forbidden value|nested service|too long|IPv6 host address|unexpected character|key\/value separator|invalid URI query parameter/;

function check(c: Case, argv: string[], env: NodeJS.ProcessEnv, out: { code: number | null; stdout: string; stderr: string }, tally: Map<string, number>): string[] {
  const guard = resolve(argv, env);
  const problems: string[] = [];
  const note = (what: string) => tally.set(what, (tally.get(what) ?? 0) + 1);
  const user = identifier(guard.user ?? OS_USER);
  const dbname = identifier(guard.dbname ?? guard.user ?? OS_USER);
  const { ports } = guard;
  const expectThat = (ok: boolean, what: string) => ok || problems.push(what);
  if (guard.unknown.length > 0) {
    note('unknown (psql refuses the input)');
    expectThat(out.code !== 0 && LIBPQ_REFUSALS.test(out.stderr), `guard says unknown (${guard.unknown.join(', ')}) but psql did not refuse: ${out.stderr || out.stdout}`);
    return problems;
  }
  if (out.code === 0) {
    note('connected');
    const [row, host] = out.stdout.trim().split('\n');
    const [db, current, port] = row!.split('|');
    expectThat(db === dbname, `database: psql ${db}, guard ${dbname}`);
    expectThat(current === user, `user: psql ${current}, guard ${user}`);
    expectThat(ports.includes(port!), `port: psql ${port}, guard ${ports.join(',')}`);
    expectThat(guard.hosts.includes(host!), `host: psql ${host}, guard ${guard.hosts.join(',')}`);
    return problems;
  }
  const translated: string[] = [];
  for (const line of out.stderr.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /could not translate host name "(.*)" to address/.exec(line))) {
      note('host name not found');
      translated.push(m[1]!);
      expectThat(guard.hosts.includes(m[1]!), `host ${m[1]} not in guard's ${guard.hosts.join(',')}`);
    }
    if ((m = /connection to server at "(.*?)"(?: \(.*?\))?, port (\d+) failed/.exec(line))) {
      note('connection refused (host, port)');
      expectThat(guard.hosts.includes(m[1]!), `host ${m[1]} not in guard's ${guard.hosts.join(',')}`);
      expectThat(ports.includes(m[2]!), `port ${m[2]} not in guard's ${ports.join(',')}`);
    }
    if ((m = /connection to server on socket "(.*)\/\.s\.PGSQL\.(\d+)" failed/.exec(line))) {
      note('socket (host, port)');
      expectThat(guard.hosts.includes(m[1]!), `socket ${m[1]} not in guard's ${guard.hosts.join(',')}`);
      expectThat(ports.includes(m[2]!), `port ${m[2]} not in guard's ${ports.join(',')}`);
    }
    if ((m = /database "(.*)" does not exist/.exec(line))) {
      note('database named');
      expectThat(m[1] === dbname, `database: psql ${m[1]}, guard ${dbname}`);
    }
    if ((m = /role "(.*)" does not exist/.exec(line))) {
      note('role named');
      expectThat(m[1] === user, `user: psql ${m[1]}, guard ${user}`);
    }
  }
  // Hosts that do not exist: psql tries each, so its lines name the whole list, in order.
  if (!c.reachable && translated.length > 0) expectThat(JSON.stringify(translated) === JSON.stringify(guard.hosts.filter((host) => !host.startsWith('/'))), `hosts: psql ${translated.join(',')}, guard ${guard.hosts.join(',')}`);
  return problems;
}

describe('psql resolver = the real psql 15 (differential)', () => {
  it('reads argv with the installed psql\'s own option table (psql --help)', async () => {
    const help = await runProcess(pg.psql, ['--help'], { PATH: '/usr/bin:/bin' });
    const shorts = new Map([...PSQL_OPTSTRING.matchAll(/([^:])(:?)/g)].map(([, letter, colon]) => [letter!, colon === ':']));
    let seen = 0;
    for (const line of help.stdout.split('\n')) {
      const m = /^ {2}(?:-(\S)(?: \("one"\))?,| {3})((?: --[a-z-]+(?:\[?=[^,\s]*)?,?)+)/.exec(line);
      if (!m) continue;
      for (const [, name, argument] of m[2]!.matchAll(/--([a-z-]+)(\[?=)?/g)) {
        if (name === 'help' && argument === '=') continue; // `--help=commands`: the optional argument spelled out
        const option = PSQL_LONG_OPTIONS.find((candidate) => candidate.name === name);
        expect(option, `--${name}`).toBeDefined();
        expect(option!.argument, `--${name}`).toBe(argument === '=' ? 'required' : argument === '[=' ? 'optional' : 'none');
        if (m[1]) {
          expect(option!.key, `-${m[1]} is --${name}`).toBe(m[1]);
          expect(shorts.get(m[1]), `-${m[1]} takes an argument`).toBe(argument === '=');
        }
        seen++;
      }
    }
    expect(seen).toBe(PSQL_LONG_OPTIONS.length);
  });

  it(`agrees with psql on ${CASES} generated cases`, async () => {
    const seed = oracleSeed('psql oracle', CASES);
    const cases = fc.sample(caseArbitrary, { seed, numRuns: CASES });
    const tally = new Map<string, number>();
    const failures: string[] = [];
    await mapLimit(cases, 4, async (c, index) => {
      const { argv, env } = materialize(c, index);
      const out = await runProcess(pg.psql, argv.slice(1), env);
      const problems = check(c, argv, env, out, tally);
      if (problems.length > 0 && failures.length < 5) failures.push(`case ${index}: ${JSON.stringify({ argv, env: Object.fromEntries(Object.entries(env).filter(([key]) => key.startsWith('PG') || key === 'POSIXLY_CORRECT')), files: [c.home, c.serviceFile, c.sysconf] })}\n  ${problems.join('\n  ')}\n  psql: ${out.stderr.trim() || out.stdout.trim()}`);
    });
    console.log(`psql oracle outcomes: ${[...tally].map(([what, n]) => `${what} ${n}`).join(', ')}`);
    expect(failures, `seed ${seed}`).toEqual([]);
    // The generator reaches every outcome the comparison knows.
    if (CASES >= 500) for (const outcome of ['connected', 'host name not found', 'connection refused (host, port)', 'database named', 'role named']) expect(tally.get(outcome), outcome).toBeGreaterThan(0);
  }, 600_000);
});
