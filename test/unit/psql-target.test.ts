/**
 * psql's target (SPEC §14) as tables: argv as getopt_long reads it, libpq's
 * connection strings and service files, and the order in which libpq takes
 * argv, the service and the environment. The same behaviour is checked
 * against the real psql by test/integration/psql-oracle.test.ts; cases its
 * generator found are kept here as plain rows.
 */
import { describe, expect, it } from 'vitest';
import { describeImplied, impliedWords, type ImpliedReader, type TextRead } from '../../src/policy/implied/implied-words.ts';
import { getoptLong } from '../../src/policy/implied/getopt-long.ts';
import { parseConninfo } from '../../src/policy/implied/pg-connection.ts';
import { findService } from '../../src/policy/implied/pg-service.ts';
import { PSQL_LONG_OPTIONS, PSQL_OPTSTRING } from '../../src/policy/implied/psql-options.ts';

const ALL = new Set(['--host', '--port', '--dbname', '--username', '--service']);

function reader(files: Record<string, string | { problem: string }> = {}, env: Record<string, string> = {}): ImpliedReader & { reads: string[] } {
  const reads: string[] = [];
  return {
    env,
    cwd: '/work',
    home: '/home/u',
    reads,
    readText: (path): TextRead => {
      reads.push(path);
      const file = files[path];
      if (file === undefined) return { missing: true };
      return typeof file === 'string' ? { text: file } : file;
    },
    readKubeconfig: () => Promise.reject(new Error('not for psql')),
  };
}

const words = async (argv: string[], r = reader(), needed = ALL) => (await impliedWords(argv, needed, r)).map(describeImplied);

describe('psql argv, as getopt_long reads it', () => {
  it.each([
    [['psql', 'prod_app'], ['--dbname=prod_app from argv']],
    [['psql', '-Xh', 'prod-db'], ['--host=prod-db from argv (-h)']],
    [['psql', '-Xhprod-db'], ['--host=prod-db from argv (-h)']],
    [['psql', '-h', 'PROD-db'], ['--host=PROD-db from argv (-h)']],
    [['psql', '--ho=prod-db'], ['--host=prod-db from argv (-h)']],
    [['psql', '--hos', 'prod-db'], ['--host=prod-db from argv (-h)']],
    [['psql', '-p5433', '-U', 'admin', 'app'], ['--port=5433 from argv (-p)', '--dbname=app from argv', '--username=admin from argv (-U)']],
    // The first operand is the database, the second the user — wherever the options are (GNU permutation).
    [['psql', 'app', '-X', 'admin', '-q'], ['--dbname=app from argv', '--username=admin from argv']],
    // -d took the database: the first operand is the user; -U took the user: a later operand is ignored.
    [['psql', '-d', 'app', 'admin'], ['--dbname=app from argv (-d)', '--username=admin from argv']],
    [['psql', '-U', 'me', 'app', 'extra'], ['--dbname=app from argv', '--username=me from argv (-U)']],
    // The last of an option wins; an empty value is none.
    [['psql', '-h', 'a', '-h', 'b'], ['--host=b from argv (-h)']],
    [['psql', '-h', ''], []],
    // `--` ends the options: what follows is the database and the user.
    [['psql', '--', '-h', 'x'], ['--dbname=-h from argv', '--username=x from argv']],
    // The values of other options are not the target.
    [['psql', '-c', 'host=prod-db', '-v', 'x=prod', '--set=host=prod', '-T', 'host=prod'], []],
    [['psql', '-ch', 'prod-db'], ['--dbname=prod-db from argv']],
  ])('%j', async (argv, expected) => {
    expect(await words(argv)).toEqual(expected);
  });

  it('a \\connect in -c connects elsewhere: the target is unknown', async () => {
    expect(await words(['psql', '-h', 'dev-db', '-c', 'select 1', '-c', '\\c app admin prod-db'], reader(), new Set(['--host']))).toEqual(['--host=? (a \\connect in -c connects again, to a target argv does not say; rules on --host apply)']);
    expect(await words(['psql', '-h', 'dev-db', '-c', '\\connect host=prod-db'], reader(), new Set(['--host']))).toHaveLength(1);
    expect(await words(['psql', '-h', 'dev-db', '-c', '\\conninfo'], reader(), new Set(['--host']))).toEqual(['--host=dev-db from argv (-h)']);
  });

  it('POSIXLY_CORRECT: options stop at the first operand', async () => {
    expect(await words(['psql', 'app', '-h', 'prod-db'], reader({}, { POSIXLY_CORRECT: '1' }))).toEqual(['--dbname=app from argv', '--username=-h from argv']);
  });

  it('reads long options by unique prefix, refuses ambiguous ones, and knows which take an argument', () => {
    const read = (args: string[]) => getoptLong(args, PSQL_OPTSTRING, PSQL_LONG_OPTIONS, false);
    expect(read(['--ho=x', '--us', 'u', '--se=a=b'])).toEqual({ options: [{ key: 'h', value: 'x' }, { key: 'U', value: 'u' }, { key: 'v', value: 'a=b' }], operands: [], errors: [] });
    expect(read(['--s', 'x']).errors).toEqual(["ambiguous option '--s'"]);
    expect(read(['--no-psqlrc=1', '-h']).errors).toEqual(["option '--no-psqlrc' doesn't allow an argument", "option requires an argument -- 'h'"]);
    expect(read(['-Xqh', 'x', '-', 'db'])).toEqual({ options: [{ key: 'X' }, { key: 'q' }, { key: 'h', value: 'x' }], operands: ['-', 'db'], errors: [] });
  });
});

describe('libpq connection strings', () => {
  const options = (text: string) => {
    const parsed = parseConninfo(text);
    return 'options' in parsed ? Object.fromEntries(parsed.options) : parsed;
  };
  it.each([
    ['host=prod-db dbname=app', { host: 'prod-db', dbname: 'app' }],
    ["host = 'prod db' user='it\\'s'", { host: 'prod db', user: "it's" }],
    ['host=a\\ b port=1', { host: 'a b', port: '1' }],
    ["host=''", { host: '' }],
    ['host=a host=b', { host: 'b' }],
    ['postgresql://admin:pw@prod-db:5432/app', { user: 'admin', host: 'prod-db', port: '5432', dbname: 'app' }],
    ['postgres://prod-a,prod-b:5433/app?user=me', { host: 'prod-a,prod-b', port: ',5433', dbname: 'app', user: 'me' }],
    ['postgresql://[::1]:5432/app', { host: '::1', port: '5432', dbname: 'app' }],
    ['postgresql:///app?host=/var/run/postgresql', { dbname: 'app', host: '/var/run/postgresql' }],
    ['postgresql://%70rod-db/%61pp', { host: 'prod-db', dbname: 'app' }],
    // A percent-encoded comma becomes a list separator once decoded, as in libpq.
    ['postgresql://a%2Cprod-db/', { host: 'a,prod-db' }],
    // Two hosts or more always set the port list (psql-oracle seed 207745133, case 388): PGPORT no longer applies.
    ['postgres://me@,/app', { user: 'me', host: ',', port: ',', dbname: 'app' }],
    ['postgres://a,b/app', { host: 'a,b', port: ',', dbname: 'app' }],
    ['postgresql://h/?host=prod-db&', { host: 'prod-db' }],
    ['postgresql://', {}],
    // libpq looks for the user's `@` up to the first `/`, the query included.
    ['postgresql://h?user=a@b', { user: 'h?user=a', host: 'b' }],
  ])('%s', (text, expected) => {
    expect(options(text)).toEqual(expected);
  });

  it.each(['host', "host='x", 'postgresql://h/?a', 'postgresql://h/?a=1&&b=2', 'postgresql://[::1', 'postgresql://%zz', 'postgresql://h/%00'])('%s is refused', (text) => {
    expect(parseConninfo(text)).toHaveProperty('problem');
  });

  it('a connection string in place of the database replaces what argv set, empty values too', async () => {
    expect(await words(['psql', '-h', 'dev-db', '-d', 'host=prod-db dbname=app'])).toEqual(['--host=prod-db from argv (-d, connection string)', '--dbname=app from argv (-d, connection string)']);
    expect(await words(['psql', 'postgresql://PROD-db,other:5433/app'])).toEqual([
      '--host=PROD-db from argv (connection string)',
      '--host=other from argv (connection string)',
      '--port=5433 from argv (connection string)',
      '--dbname=app from argv (connection string)',
    ]);
    // host='' is libpq's default (a socket), and hides PGHOST.
    expect(await words(['psql', "host='' dbname=app"], reader({}, { PGHOST: 'prod-db' }))).toEqual(['--dbname=app from argv (connection string)']);
    // Only the database is expanded: a second operand is a user name, whatever it holds.
    expect(await words(['psql', 'app', 'host=prod-db'])).toEqual(['--dbname=app from argv', '--username=host=prod-db from argv']);
  });

  it('a connection string libpq refuses leaves the target unknown (every rule on it applies)', async () => {
    expect(await words(['psql', "host='prod-db"], reader(), new Set(['--host']))).toEqual(['--host=? (psql refuses the connection string (unterminated quoted string in connection info string); rules on --host apply)']);
  });
});

describe('pg_service.conf', () => {
  it('reads the first section of the name, trimmed lines, values as written', () => {
    const text = '# c\n  [prod] trailing\n\thost=prod-db \nport=5433\nhost=ignored\n[dev]\nhost=dev\n[prod]\nhost=second\n';
    expect(findService(text, 'prod')).toEqual({ found: true, entries: new Map([['host', 'prod-db'], ['port', '5433']]) });
    expect(findService(text, 'dev')).toEqual({ found: true, entries: new Map([['host', 'dev']]) });
    expect(findService(text, 'pro')).toEqual({ found: false });
    expect(findService("[q]\nhost='x'\n", 'q')).toEqual({ found: true, entries: new Map([['host', "'x'"]]) });
  });

  it.each([
    ['[prod]\nhost\n', 'syntax error in line 2'],
    ['[prod]\nservice=other\n', 'nested service specifications not supported (line 2)'],
    [`# ${'x'.repeat(1020)}\n[prod]\n`, 'line 1 too long'],
  ])('refuses %j', (text, problem) => {
    expect(findService(text, 'prod')).toEqual({ problem });
  });
});

describe('libpq takes argv, then the service, then the environment', () => {
  const services = { '/home/u/.pg_service.conf': '[prod]\nhost=prod-db\ndbname=app\nport=5433\n' };

  it('psql service=prod and PGSERVICE=prod: the service file\'s entries', async () => {
    const expected = ['--host=prod-db from ~/.pg_service.conf [prod]', '--port=5433 from ~/.pg_service.conf [prod]', '--dbname=app from ~/.pg_service.conf [prod]'];
    expect(await words(['psql', 'service=prod'], reader(services))).toEqual([...expected, '--service=prod from argv (connection string)']);
    expect(await words(['psql'], reader(services, { PGSERVICE: 'prod' }))).toEqual([...expected, '--service=prod from PGSERVICE']);
  });

  it('argv beats the service, the service beats the environment', async () => {
    expect(await words(['psql', '-h', 'dev-db', 'service=prod'], reader(services, { PGHOST: 'env-db', PGUSER: 'me' }))).toEqual([
      '--host=dev-db from argv (-h)',
      '--port=5433 from ~/.pg_service.conf [prod]',
      '--dbname=app from ~/.pg_service.conf [prod]',
      '--username=me from PGUSER',
      '--service=prod from argv (connection string)',
    ]);
  });

  it('PGSERVICEFILE instead of ~/.pg_service.conf, then PGSYSCONFDIR/pg_service.conf', async () => {
    const files = { '/s/services': '[dev]\nhost=dev\n', '/etc/pg/pg_service.conf': '[prod]\nhost=sys-prod\n', '/home/u/.pg_service.conf': '[prod]\nhost=home\n' };
    const env = { PGSERVICEFILE: '/s/services', PGSYSCONFDIR: '/etc/pg', PGSERVICE: 'prod' };
    expect(await words(['psql'], reader(files, env), new Set(['--host']))).toEqual(['--host=sys-prod from /etc/pg/pg_service.conf [prod]']);
  });

  it('a service no file defines, or an unreadable file: the words it could set are unknown', async () => {
    // The service could set hostaddr, which libpq would connect to instead of -h's host.
    expect(await words(['psql', '-h', 'x'], reader({}, { PGSERVICE: 'prod', PGSYSCONFDIR: '/etc/pg' }), new Set(['--host', '--dbname', '--service']))).toEqual([
      '--host=x from argv (-h)',
      '--host=? (no service file defines the service "prod"; rules on --host apply)',
      '--dbname=? (no service file defines the service "prod"; rules on --dbname apply)',
      '--service=prod from PGSERVICE',
    ]);
    expect(await words(['psql', 'service=prod'], reader({ '/home/u/.pg_service.conf': { problem: 'EACCES' } }), new Set(['--host']))).toEqual([
      '--host=? (cannot read ~/.pg_service.conf (EACCES); rules on --host apply)',
    ]);
  });

  it('the environment: PGHOST (each host of a list), PGHOSTADDR, PGPORT, PGDATABASE, PGUSER; empty is libpq\'s default', async () => {
    expect(await words(['psql'], reader({}, { PGHOST: 'prod-a,,prod-b', PGHOSTADDR: '10.0.0.1', PGPORT: '5433', PGDATABASE: 'app', PGUSER: '' }))).toEqual([
      '--host=prod-a from PGHOST',
      '--host=prod-b from PGHOST',
      '--host=10.0.0.1 from PGHOSTADDR',
      '--port=5433 from PGPORT',
      '--dbname=app from PGDATABASE',
    ]);
  });

  it("a URI of several hosts without ports: libpq's default port for each, not PGPORT (psql-oracle seed 207745133)", async () => {
    expect(await words(['psql', 'postgres://me@,/app'], reader({}, { PGPORT: '43097' }))).not.toContain('--port=43097 from PGPORT');
    expect(await words(['psql', 'postgres://a/app'], reader({}, { PGPORT: '43097' }))).toContain('--port=43097 from PGPORT');
  });

  it('libpq\'s defaults are no words, and nothing is read without a service', async () => {
    const r = reader();
    expect(await words(['psql'], r)).toEqual([]);
    expect(r.reads).toEqual([]);
  });

  it('host words match case-insensitively', async () => {
    const implied = await impliedWords(['psql', '-h', 'PROD-db'], new Set(['--host']), reader());
    expect(implied).toEqual([{ name: '--host', value: 'PROD-db', source: 'argv (-h)', caseless: true }]);
  });
});
