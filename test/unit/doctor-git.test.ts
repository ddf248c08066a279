/**
 * guard doctor's git check against the real git: a helper scoped to a URL
 * passes; one for every host (credential.helper) is a warning that names
 * the fix, since git would hand the access token to any https host. A
 * `store` or `cache` helper git also uses for a host guard serves, and a
 * credential-store line holding a token guard handed out, are warnings
 * whose fix, pasted into sh, makes them go away (SPEC §14).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkGitHelper } from '../../src/doctor/check-git.ts';

const GUARD_BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'guard');
const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

function gitHome(...settings: Array<[string, string]>): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'guard-doctor-git-'));
  homes.push(home);
  const env = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), GIT_CONFIG_NOSYSTEM: '1' };
  for (const [key, value] of settings) execFileSync('git', ['config', '--global', key, value], { env });
  return env;
}

describe('guard doctor: git credential helper', () => {
  it('passes a helper scoped to one host', async () => {
    const env = gitHome(['credential.https://git.example.com.helper', `!${GUARD_BIN} git-credential`]);
    expect(await checkGitHelper(env, env.HOME!, 5_000)).toEqual([
      { id: 'git', status: 'pass', summary: 'git credential helper credential.https://git.example.com.helper: guard git-credential' },
    ]);
  });

  it('warns about a helper for every host, and says how to scope it', async () => {
    const env = gitHome(['credential.helper', `!${GUARD_BIN} git-credential`]);
    const [result, ...rest] = await checkGitHelper(env, env.HOME!, 5_000);
    expect(rest).toEqual([]);
    expect(result).toMatchObject({ id: 'git', status: 'warn' });
    expect(result!.summary).toMatch(/answers every host git asks about/);
    expect(result!.fix).toMatch(/^scope it: git config --file \S+\/\.gitconfig --unset-all credential\.helper '\^!\S+\/bin\/guard git-credential\$'; git config --global credential\.https:\/\/\S+\.helper '!guard git-credential'$/);
  });

  it('the scoping fix works when credential.helper has several values: it takes away guard\'s alone (git config --unset fails on those)', async () => {
    const env = gitHome();
    for (const value of ['cache', `!${GUARD_BIN} git-credential`]) execFileSync('git', ['config', '--global', '--add', 'credential.helper', value], { env });
    const [result] = await checkGitHelper(env, env.HOME!, 5_000, [], (path) => path.replace(env.HOME!, '~'));
    expect(result!.fix).toBe(`scope it: git config --file ~/.gitconfig --unset-all credential.helper '^!${GUARD_BIN.replace(/\./g, '\\.')} git-credential$'; git config --global credential.https://git.example.com.helper '!guard git-credential'`);
    execFileSync('sh', ['-c', result!.fix!.slice('scope it: '.length)], { env, cwd: env.HOME });
    expect(execFileSync('git', ['config', '--global', '--get-all', 'credential.helper'], { env, encoding: 'utf8' })).toBe('cache\n');
    expect(execFileSync('git', ['config', '--global', '--get-all', 'credential.https://git.example.com.helper'], { env, encoding: 'utf8' })).toBe('!guard git-credential\n');
    expect((await checkGitHelper(env, env.HOME!, 5_000)).some((check) => /answers every host/.test(check.summary))).toBe(false);
  });
});

const GUARD = `!${GUARD_BIN} git-credential`;
const HOST = 'credential.https://git.example.com.helper';
const ISSUER = 'https://idp.example.com/realms/eng';

/** Settings added in order (`git config --add`), each [key, value]. */
function gitHomeAdding(...settings: Array<[string, string]>): NodeJS.ProcessEnv {
  const env = gitHome();
  for (const [key, value] of settings) execFileSync('git', ['config', '--global', '--add', key, value], { env });
  return env;
}

const warnings = async (env: NodeJS.ProcessEnv) => (await checkGitHelper(env, env.HOME!, 5_000, [ISSUER], (path) => path.replace(env.HOME!, '~'))).filter((result) => result.status === 'warn');

/** Pastes a fix into sh (the real git), in the user's home. */
function pasteFix(fix: string, env: NodeJS.ProcessEnv): void {
  execFileSync('sh', ['-c', fix], { env, cwd: env.HOME });
}

const jwtFrom = (iss: string) => `eyJhbGciOiJFUzI1NiJ9.${Buffer.from(JSON.stringify({ iss, sub: 'alice' })).toString('base64url')}.c2lnbmF0dXJl`;

describe('guard doctor: helpers that keep or serve what guard hands out', () => {
  it("warns about store for every host next to guard's helper, and its pasted fix removes it", async () => {
    const env = gitHomeAdding(['credential.helper', 'store'], [HOST, GUARD]);
    const [warning, ...rest] = await warnings(env);
    expect(rest).toEqual([]);
    expect(warning!.summary).toBe("git credential helper credential.helper=store: git asks it before guard for https://git.example.com, so it answers with what it holds and guard's decision is never asked; git hands it guard's token for https://git.example.com after every success, and it writes the token to disk in plain text (to keep it for other hosts, see docs/git.md)");
    expect(warning!.fix).toBe("git config --file ~/.gitconfig --unset-all credential.helper '^store$'");
    pasteFix(warning!.fix!, env);
    expect(await warnings(env)).toEqual([]);
    expect(execFileSync('git', ['config', '--global', '--get-all', HOST], { env, encoding: 'utf8' })).toBe(`${GUARD}\n`);
  });

  it('warns about cache too', async () => {
    const env = gitHomeAdding([HOST, GUARD], ['credential.helper', 'cache --timeout=3600']);
    const [warning] = await warnings(env);
    expect(warning!.summary).toMatch(/credential\.helper=cache --timeout=3600: git hands it guard's token .* it serves it again until its own timeout \(to keep it/);
  });

  it('warns about any helper git asks before guard for the same host', async () => {
    const env = gitHomeAdding([HOST, 'libsecret'], [HOST, GUARD]);
    const [warning] = await warnings(env);
    expect(warning!.summary).toMatch(/libsecret: git asks it before guard for https:\/\/git\.example\.com, so it answers with what it holds and guard's decision is never asked \(to keep it/);
  });

  it("is quiet when guard's entry resets the list (an empty helper first), when store serves other hosts only, and about other helpers after guard", async () => {
    expect(await warnings(gitHomeAdding(['credential.helper', 'store'], [HOST, ''], [HOST, GUARD]))).toEqual([]);
    expect(await warnings(gitHomeAdding(['credential.https://other.example.org.helper', 'store'], [HOST, GUARD]))).toEqual([]);
    expect(await warnings(gitHomeAdding([HOST, GUARD], ['credential.helper', 'libsecret']))).toEqual([]);
  });

  it('matches as git does: a store for *.example.com applies to guard\'s git.example.com/org', async () => {
    const env = gitHomeAdding(['credential.https://git.example.com/org.helper', GUARD], ['credential.https://*.example.com.helper', 'store']);
    const [warning] = await warnings(env);
    expect(warning!.summary).toContain("git hands it guard's token for https://git.example.com/org after every success");
  });
});

describe('guard doctor: credential-store files that hold a token guard handed out', () => {
  it("~/.git-credentials: a JWT of guard's issuer is named by file, line and host, never printed; the pasted fix erases it", async () => {
    const env = gitHomeAdding([HOST, GUARD]);
    const token = jwtFrom(ISSUER);
    const other = jwtFrom('https://elsewhere.example.net');
    writeFileSync(join(env.HOME!, '.git-credentials'), `https://someone:${other}@unrelated.example.net\nhttps://oauth2:${token}@gitlab.example.org\n`, { mode: 0o600 });
    const found = await warnings(env);
    expect(found.map((w) => w.summary)).toEqual([
      `git credentials file ~/.git-credentials line 2 (https://gitlab.example.org): a token issued by ${ISSUER} (guard's identity provider), stored in plain text; git may offer it when guard would refuse`,
    ]);
    expect(JSON.stringify(found)).not.toContain(token.split('.')[1]);
    pasteFix(found[0]!.fix!, env);
    expect(readFileSync(join(env.HOME!, '.git-credentials'), 'utf8')).toBe(`https://someone:${other}@unrelated.example.net\n`);
    expect(await warnings(env)).toEqual([]);
  });

  it("$XDG_CONFIG_HOME/git/credentials and a store --file: an opaque password for a host guard serves", async () => {
    const env = gitHomeAdding([HOST, GUARD], ['credential.https://other.example.org.helper', 'store --file ~/custom-credentials']);
    mkdirSync(join(env.XDG_CONFIG_HOME!, 'git'), { recursive: true });
    writeFileSync(join(env.XDG_CONFIG_HOME!, 'git', 'credentials'), 'https://oauth2:opaque-1@git.example.com\n', { mode: 0o600 });
    writeFileSync(join(env.HOME!, 'custom-credentials'), 'https://oauth2:opaque-2@git.example.com%3a443/org/repo.git\nhttps://x:opaque-3@other.example.org\n', { mode: 0o600 });
    const found = await warnings(env);
    expect(found.map((w) => w.summary)).toEqual([
      'git credentials file ~/.config/git/credentials line 1 (https://git.example.com): a password for https://git.example.com, a host guard git-credential serves, stored in plain text; git may offer it when guard would refuse',
      // As git keeps it (and as credential-store erase must name it): the port as written.
      'git credentials file ~/custom-credentials line 1 (https://git.example.com:443): a password for https://git.example.com:443, a host guard git-credential serves, stored in plain text; git may offer it when guard would refuse',
    ]);
    expect(JSON.stringify(found)).not.toMatch(/opaque/);
    for (const warning of found) pasteFix(warning.fix!, env);
    expect(await warnings(env)).toEqual([]);
    expect(readFileSync(join(env.HOME!, 'custom-credentials'), 'utf8')).toBe('https://x:opaque-3@other.example.org\n');
  });
});

