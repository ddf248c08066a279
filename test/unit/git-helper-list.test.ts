/**
 * Which credential helpers git asks for a request, and in which order:
 * guard's reading of git's rules (helper-list.ts, url-match.ts) against
 * the real git as the oracle. Each helper is a script that logs its name;
 * `git credential fill` runs them for each request (none answers, so git
 * asks them all), and the names it ran must be the names guard predicts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { helperKind, helpersFor, parseHelperSettings, storeFile } from '../../src/integrations/git/helper-list.ts';
import { commonUrl, parseUrlPattern, type CredentialUrl } from '../../src/integrations/git/url-match.ts';
import { parseStoredCredentials } from '../../src/integrations/git/stored-credentials.ts';

const home = mkdtempSync(join(tmpdir(), 'guard-git-helpers-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const env = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };
const log = join(home, 'ran');

/** [subsection (undefined: credential.helper), helper name ('' resets)] in config order. */
const SETTINGS: Array<[string | undefined, string]> = [
  [undefined, 'A'],
  ['https://git.example.com', ''],
  ['https://git.example.com', 'B'],
  ['https://*.example.com', 'C'],
  ['example.com', 'D'],
  ['https://git.example.com/org', 'E'],
  ['https://alice@git.example.com', 'F'],
  ['https://git.example.com:8443', 'G'],
  ['http://git.example.com', 'H'],
  ['https://*.*.example.com', 'I'],
  ['https://GIT.Example.COM', 'J'],
  ['https://git.example.com:443/org/repo.git', 'K'],
  [undefined, 'L'],
  ['https://other.example.org', ''],
  ['https://other.example.org', 'M'],
  ['git.example.com/org/repo.git', 'N'],
  // A port is a number: git reads `:0443` as 443, https's default, and `:08443` as 8443.
  ['https://zero.example.com:0443', 'O'],
  ['https://zero.example.com:08443', 'P'],
];
for (const [url, name] of SETTINGS) {
  let value = '';
  if (name) {
    value = join(home, `helper-${name}`);
    writeFileSync(value, `#!/bin/sh\necho ${name} >> '${log}'\n`);
    chmodSync(value, 0o755);
  }
  execFileSync('git', ['config', '--global', '--add', url === undefined ? 'credential.helper' : `credential.${url}.helper`, value], { env });
}
const settings = parseHelperSettings(execFileSync('git', ['config', '-z', '--show-origin', '--get-regexp', '^credential\\..*helper$'], { env, encoding: 'utf8' }));

/** What git itself runs for a request. */
function gitRuns(url: CredentialUrl): string[] {
  rmSync(log, { force: true });
  const input = [`protocol=${url.protocol}`, `host=${url.host}`, ...(url.path ? [`path=${url.path}`] : []), ...(url.username ? [`username=${url.username}`] : []), '', ''].join('\n');
  spawnSync('git', ['credential', 'fill'], { env, input, encoding: 'utf8' });
  try {
    return readFileSync(log, 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

const REQUESTS: CredentialUrl[] = [
  { protocol: 'https', host: 'git.example.com' },
  { protocol: 'https', host: 'git.example.com', path: 'org/repo.git' },
  { protocol: 'https', host: 'git.example.com', path: 'org' },
  { protocol: 'https', host: 'git.example.com', path: 'orgx/repo.git' },
  { protocol: 'https', host: 'git.example.com', username: 'alice' },
  { protocol: 'https', host: 'git.example.com', username: 'bob' },
  { protocol: 'https', host: 'git.example.com:8443' },
  { protocol: 'https', host: 'git.example.com:443' },
  { protocol: 'http', host: 'git.example.com' },
  { protocol: 'https', host: 'a.b.example.com' },
  { protocol: 'https', host: 'example.com' },
  { protocol: 'http', host: 'example.com' },
  { protocol: 'https', host: 'other.example.org' },
  { protocol: 'https', host: 'unrelated.test' },
  { protocol: 'https', host: 'zero.example.com' },
  { protocol: 'https', host: 'zero.example.com:443' },
  { protocol: 'https', host: 'zero.example.com:00443' },
  { protocol: 'https', host: 'zero.example.com:8443' },
  { protocol: 'https', host: 'zero.example.com:008443' },
];

describe("the helpers git asks, as guard predicts them (git's own run as the oracle)", () => {
  it.each(REQUESTS)('%j', (url) => {
    const predicted = helpersFor(settings, url).map((setting) => setting.value.split('helper-')[1]);
    expect(predicted).toEqual(gitRuns(url));
  });

  it('a request where two patterns meet is one both apply to', () => {
    const scoped = parseUrlPattern('https://git.example.com/org');
    const wild = parseUrlPattern('https://*.example.com');
    const meet = commonUrl(scoped, wild);
    expect(meet).toEqual({ protocol: 'https', host: 'git.example.com', path: 'org' });
    expect(gitRuns(meet!)).toEqual(expect.arrayContaining(['C', 'E']));
    expect(commonUrl(parseUrlPattern('https://git.example.com'), parseUrlPattern('https://other.example.org'))).toBeUndefined();
    expect(commonUrl(undefined, scoped)).toEqual({ protocol: 'https', host: 'git.example.com', path: 'org' });
  });
});

describe('what a helper is', () => {
  it.each([
    ['!guard git-credential', 'guard'],
    ['!/usr/local/bin/guard git-credential --profile x', 'guard'],
    ['store', 'store'],
    ['store --file ~/.my-credentials', 'store'],
    ['!git credential-store --file=/x', 'store'],
    ['/usr/lib/git-core/git-credential-store', 'store'],
    ['cache --timeout=3600', 'cache'],
    ['!/usr/lib/git-core/git-credential-cache', 'cache'],
    ['libsecret', 'other'],
    ['!f() { echo password=x; }; f', 'other'],
  ])('%j is %s', (value, kind) => {
    expect(helperKind(value)).toBe(kind);
  });

  it("store's file", () => {
    expect(storeFile('store --file ~/.my-credentials', '/home/u')).toBe('/home/u/.my-credentials');
    expect(storeFile('store --file=/srv/creds', '/home/u')).toBe('/srv/creds');
    expect(storeFile('store', '/home/u')).toBeUndefined();
  });
});

describe('lines of a credential-store file', () => {
  it('reads each as git does, percent-decoded, and keeps no password', () => {
    const jwt = `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify({ iss: 'https://idp.example.com' })).toString('base64url')}.sig`;
    const text = [`https://oauth2:${jwt}@git.example.com`, 'http://oauth2:opaque%2Ftoken@127.0.0.1%3a8080/org/repo.git', 'https://user@nopassword.example.com', 'not a url', ''].join('\n');
    const stored = parseStoredCredentials(text);
    expect(stored).toEqual([
      { line: 1, url: { protocol: 'https', host: 'git.example.com' }, issuer: 'https://idp.example.com' },
      { line: 2, url: { protocol: 'http', host: '127.0.0.1:8080', path: 'org/repo.git' } },
    ]);
    expect(JSON.stringify(stored)).not.toMatch(/opaque|eyJ/);
  });
});
