/**
 * git-credential's URL word against the real git (issue 22, SPEC §14): for
 * generated remote URLs in every case and form (scheme and host case, a
 * default or other port, a trailing dot, user info, empty, doubled and
 * percent-encoded paths) and credential.useHttpPath on and off, the real
 * `git credential fill` calls a helper that records what git sends; guard's
 * URL word for those lines is the normalised URL of what git will reach,
 * and guard reading the same `url=` line itself gives the same word.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialTarget, parseCredentialRequest } from '../../src/integrations/git/credential-protocol.ts';
import { mapLimit, oracleSeed, runProcess } from '../support/oracle.ts';

const CASES = Number(process.env.GUARD_ORACLE_CASES ?? 300);
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'guard-git-oracle-'));
  // The recording helper: what git sends on `get`, kept in $RECORD; a fixed answer so `fill` completes.
  writeFileSync(join(dir, 'record'), '#!/bin/sh\n[ "$1" = get ] || exit 0\ncat > "$RECORD"\necho username=u\necho password=p\n');
  chmodSync(join(dir, 'record'), 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Path spellings and what git makes of them (decoded, slashes trimmed at both ends). */
const PATHS: ReadonlyArray<[string, string]> = [
  ['', ''],
  ['/', ''],
  ['/prod/app.git', 'prod/app.git'],
  ['/Prod/App.git', 'Prod/App.git'],
  ['//prod//app.git//', 'prod//app.git'],
  ['/%70rod/app.git', 'prod/app.git'],
  ['/team%2Fprod/x', 'team/prod/x'],
  ['/a%20b/c', 'a b/c'],
  ['/prod/app.git/', 'prod/app.git'],
];

const url = fc.record({
  scheme: fc.constantFrom('https', 'HTTPS', 'Https', 'http'),
  labels: fc.array(fc.constantFrom('git', 'GIT', 'example', 'Example', 'com', 'COM', 'prod-git'), { minLength: 1, maxLength: 3 }),
  loopback: fc.constantFrom('127.0.0.1', 'localhost', 'LOCALHOST'),
  dot: fc.boolean(),
  port: fc.constantFrom('', ':443', ':8443', ':80'),
  user: fc.constantFrom('', 'me@', 'me:secret@'),
  path: fc.integer({ min: 0, max: PATHS.length - 1 }),
  useHttpPath: fc.boolean(),
});
type Url = typeof url extends fc.Arbitrary<infer T> ? T : never;

/** What SPEC §14 says the word is: scheme and host lower-case, the default port and a trailing dot dropped, the path as git reads it. */
function expected(c: Url): { url: string; pathKnown: boolean } {
  const scheme = c.scheme.toLowerCase();
  const host = (scheme === 'http' ? c.loopback : c.labels.join('.')).toLowerCase();
  const port = c.port === (scheme === 'https' ? ':443' : ':80') ? '' : c.port;
  // git drops the path of http(s) without useHttpPath — and compares the scheme case-sensitively, so `HTTPS://` keeps it.
  const path = c.useHttpPath || (c.scheme !== 'https' && c.scheme !== 'http') ? PATHS[c.path]![1] : '';
  return { url: `${scheme}://${host}${port}${path ? `/${path}` : ''}`, pathKnown: path !== '' };
}

const text = (c: Url) => `${c.scheme}://${c.user}${c.scheme.toLowerCase() === 'http' ? c.loopback : c.labels.join('.')}${c.dot && c.scheme.toLowerCase() !== 'http' ? '.' : ''}${c.port}${PATHS[c.path]![0]}`;

describe('git-credential URL word = what the real git sends (differential)', () => {
  it(`agrees with git credential fill on ${CASES} generated URLs`, async () => {
    const seed = oracleSeed('git credential oracle', CASES);
    const cases = fc.sample(url, { seed, numRuns: CASES });
    const failures: string[] = [];
    let withPath = 0;
    let asked = 0;
    await mapLimit(cases, 4, async (c, i) => {
      const record = join(dir, `sent-${i}`);
      const env = { PATH: process.env.PATH, HOME: dir, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', RECORD: record };
      const args = ['-c', 'credential.helper=', '-c', `credential.helper=!${join(dir, 'record')}`, '-c', `credential.useHttpPath=${c.useHttpPath}`, 'credential', 'fill'];
      const child = await runProcess('git', args, env, { input: `url=${text(c)}\n\n` });
      // A URL with user and password needs no helper: git asks none, and guard is never asked.
      if (child.code === 0 && !existsSync(record) && c.user.includes(':')) return;
      const sent = child.code === 0 ? readFileSync(record, 'utf8') : '';
      const fromGit = sent ? credentialTarget(parseCredentialRequest(sent)) : undefined;
      asked++;
      const fromUrl = credentialTarget(parseCredentialRequest(`url=${text(c)}`));
      const want = expected(c);
      if (want.pathKnown) withPath++;
      const problems = [
        child.code === 0 ? '' : `git credential fill failed: ${child.stderr}`,
        JSON.stringify(fromGit) === JSON.stringify(want) ? '' : `from git's lines ${JSON.stringify(sent)}: ${JSON.stringify(fromGit)}, expected ${JSON.stringify(want)}`,
        // guard reading the url= line itself (a caller that sends url=) sees git's path with useHttpPath on.
        !expected(c).pathKnown || JSON.stringify(fromUrl) === JSON.stringify(want) ? '' : `from url=: ${JSON.stringify(fromUrl)}, expected ${JSON.stringify(want)}`,
      ].filter(Boolean);
      if (problems.length > 0 && failures.length < 5) failures.push(`${text(c)} (useHttpPath ${c.useHttpPath}): ${problems.join('; ')}`);
    });
    console.log(`git credential oracle: git asked the helper in ${asked} of ${CASES} cases, ${withPath} with a path`);
    expect(failures, `seed ${seed}`).toEqual([]);
  }, 300_000);
});
