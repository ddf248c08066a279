import { describe, expect, it } from 'vitest';
import { maskArgv } from '../../src/audit/mask-argv.ts';

const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

describe('built-in argv masking (SPEC §13)', () => {
  it.each([
    [['psql', '--password', 'hunter2', 'db'], ['psql', '--password', '****', 'db']],
    [['psql', '--password=hunter2'], ['psql', '--password=****']],
    [['tool', '--db-passwd', 'x', '--client-secret=y', '--api-token', 'z', '-key', 'k'], ['tool', '--db-passwd', '****', '--client-secret=****', '--api-token', '****', '-key', '****']],
    [['env', 'DB_PASSWORD=hunter2', 'API_KEY=abc', 'cmd'], ['env', 'DB_PASSWORD=****', 'API_KEY=****', 'cmd']],
    [['curl', '-H', 'Authorization: Bearer abc.def', 'https://x'], ['curl', '-H', 'Authorization: Bearer ****', 'https://x']],
    [['curl', '--header=authorization: basic dXNlcjpwYXNz'], ['curl', '--header=authorization: basic ****']],
    [['curl', '-H', 'Authorization:', 'Bearer', 'abc'], ['curl', '-H', 'Authorization:', 'Bearer', '****']],
    [['psql', 'postgres://app:hunter2@db.prod:5432/x'], ['psql', 'postgres://app:****@db.prod:5432/x']],
    [['git', 'clone', 'https://user:ghp_abc@github.com/o/r'], ['git', 'clone', 'https://user:****@github.com/o/r']],
    [['kubectl', `--as-token=${JWT}`], ['kubectl', '--as-token=****']],
    [["curl", "-d", `assertion=${JWT}&x=1`], ["curl", "-d", "assertion=****&x=1"]],
    [['echo', 'plain', '--context=prod', 'https://example.com/a'], ['echo', 'plain', '--context=prod', 'https://example.com/a']],
  ])('%j', (argv, masked) => {
    expect(maskArgv(argv)).toEqual(masked);
  });

  it('masks a token guard holds wherever it appears', () => {
    expect(maskArgv(['curl', '-H', 'X-Api: opaque-access-token-123', 'u'], ['opaque-access-token-123'])).toEqual(['curl', '-H', 'X-Api: ****', 'u']);
  });
});
