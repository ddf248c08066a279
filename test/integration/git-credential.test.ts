/**
 * SPEC §9 with the real git: cloning over smart HTTP (git http-backend as
 * CGI) from a server that takes only a valid access token as the password,
 * with `guard git-credential` as the credential helper.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startIdp, type Idp } from '../support/idp.ts';
import { collect, configFor, createSandbox, GUARD_BIN, login, runGuard, type GuardResult, type Sandbox } from '../support/guard.ts';
import { readKeychain } from '../support/keychain.ts';
import { startGitServer, type GitServer } from '../support/git-server.ts';
import { runAtTerminal } from '../support/at-terminal.ts';

let idp: Idp;
let git: GitServer;
let root: string;

beforeAll(async () => {
  idp = await startIdp();
  const sandbox = createSandbox();
  root = join(sandbox.dir, 'repos');
  mkdirSync(root);
  const work = join(sandbox.dir, 'work');
  const run = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, stdio: 'ignore', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.test', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.test' } });
  run(sandbox.dir, 'init', '-q', '--bare', join(root, 'app.git'));
  run(sandbox.dir, 'init', '-q', work);
  execFileSync('sh', ['-c', 'echo "hello from the guarded repo" > README'], { cwd: work });
  run(work, 'add', 'README');
  run(work, 'commit', '-qm', 'first');
  run(work, 'push', '-q', join(root, 'app.git'), 'HEAD:refs/heads/main');
  run(sandbox.dir, '--git-dir', join(root, 'app.git'), 'symbolic-ref', 'HEAD', 'refs/heads/main');
  git = await startGitServer(root, idp.issuer);
});
afterAll(async () => {
  await git?.close();
  await idp?.stop();
});

/** git clone with guard as the only credential helper, never prompting. */
function clone(sandbox: Sandbox, url: string, dest: string): Promise<GuardResult> {
  const args = ['-c', 'credential.helper=', '-c', `credential.helper=!${GUARD_BIN} git-credential`, 'clone', '-q', url, dest];
  // detached: no controlling terminal, as in CI (guard asks its questions there).
  return collect(spawn('git', args, { env: { ...sandbox.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', SSH_ASKPASS: '' }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }));
}

function helper(sandbox: Sandbox, action: string, input: string): Promise<GuardResult> {
  const child = spawn(GUARD_BIN, ['git-credential', action], { env: sandbox.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin!.end(input);
  return collect(child);
}

const auditEvents = (sandbox: Sandbox) =>
  readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

describe('git through guard git-credential', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, idp.issuer));
    await login(sandbox);
  });
  afterAll(async () => {
    await runGuard(['logout'], sandbox.env);
  });

  it('git clones over smart HTTP with the access token as the password', async () => {
    const before = git.requests.length;
    const dest = join(sandbox.dir, 'clone');
    const result = await clone(sandbox, `${git.url}/app.git`, dest);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(readFileSync(join(dest, 'README'), 'utf8')).toBe('hello from the guarded repo\n');
    const stored = await readKeychain(sandbox.profile);
    const authorized = git.requests.slice(before).filter((r) => r.accepted);
    expect(authorized.length).toBeGreaterThan(0);
    expect(authorized.every((r) => r.username === 'oauth2' && r.password === stored!.access_token)).toBe(true);
    expect(auditEvents(sandbox).filter((e) => e.event === 'allowed').at(-1)).toMatchObject({ command: 'git-credential', server: git.url, tier: 'standard' });
  });

  it('get answers username, password and password_expiry_utc on stdout and nothing else; store and erase store nothing', async () => {
    const result = await helper(sandbox, 'get', 'protocol=https\nhost=git.example.test\nwwwauth[]=Basic realm="x"\n\n');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.split('=')[0])).toEqual(['username', 'password', 'password_expiry_utc']);
    const stored = await readKeychain(sandbox.profile);
    expect(lines[1]).toBe(`password=${stored!.access_token}`);
    const expiry = Number(lines[2]!.split('=')[1]) * 1000;
    expect(expiry).toBeLessThanOrEqual(stored!.expires_at!);
    expect(expiry).toBeGreaterThan(Date.now());
    for (const action of ['store', 'erase']) {
      const quiet = await helper(sandbox, action, `protocol=https\nhost=git.example.test\nusername=oauth2\npassword=${stored!.access_token}\n\n`);
      expect(quiet).toMatchObject({ code: 0, stdout: '', stderr: '' });
    }
    expect(await readKeychain(sandbox.profile)).toEqual(stored);
  });

  it('a url= line it cannot read is a refusal (quit=1), and its user and password appear nowhere', async () => {
    const result = await helper(sandbox, 'get', 'url=alice:s3cret-pass@git.example.test/app.git\n\n');
    expect(result).toMatchObject({ code: 64, stdout: 'quit=1\n', stderr: 'guard: git sent a url with no scheme: git.example.test/app.git\n' });
    const quiet = await helper(sandbox, 'store', 'url=alice:s3cret-pass@git.example.test/app.git\n\n');
    expect(quiet).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('never hands the token over plain http to another machine', async () => {
    const result = await helper(sandbox, 'get', 'protocol=http\nhost=git.example.test\n\n');
    expect(result.code).toBe(77);
    expect(result.stdout).toBe('quit=1\n'); // and git asks no other helper (SPEC §14)
    expect(result.stderr).toBe('guard: refusing to hand a token to http://git.example.test: only https (or http on this machine) can carry it safely\n');
  });
});

describe('git without a session', () => {
  it('the clone fails with guard\'s one line and no device flow; the server never sees a password', async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, idp.issuer, { profileExtra: '    git_username: build-bot' }));
    const before = git.requests.length;
    const dest = join(sandbox.dir, 'clone');
    const result = await clone(sandbox, `${git.url}/app.git`, dest);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`guard: sign-in required for profile "${sandbox.profile}" (no session); run: guard login --profile ${sandbox.profile} (guard git-credential signs in only when git runs at a terminal)`);
    expect(result.stderr).not.toMatch(/user_code|Open this URL/);
    expect(existsSync(join(dest, 'README'))).toBe(false);
    expect(git.requests.slice(before).some((r) => r.password)).toBe(false);
    // After a sign-in the configured username is used.
    await login(sandbox);
    const ok = await helper(sandbox, 'get', `protocol=http\nhost=${new URL(git.url).host}\n\n`);
    expect(ok.stdout.split('\n')[0]).toBe('username=build-bot');
    await runGuard(['logout'], sandbox.env);
  });
});

describe('git at a terminal', () => {
  it('signs in inline on stderr (git passes it through), then clones', async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, idp.issuer));
    const dest = join(sandbox.dir, 'clone');
    const gitCommand = `git -c credential.helper= -c 'credential.helper=!${GUARD_BIN} git-credential' clone -q ${git.url}/app.git ${dest}`;
    const { code, screen, approved } = await runAtTerminal(gitCommand, { ...sandbox.env, GIT_TERMINAL_PROMPT: '0' });
    expect(approved).toBe(true);
    expect(screen).toContain(`guard: sign-in needed for profile "${sandbox.profile}"`);
    expect(code).toBe(0);
    expect(readFileSync(join(dest, 'README'), 'utf8')).toBe('hello from the guarded repo\n');
    await runGuard(['logout'], sandbox.env);
  });
});

describe('a git host whose tier asks for a confirmation', () => {
  it('without a terminal: 77 before any sign-in, saying what to do instead of --yes (git runs the helper)', async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(
      configFor(sandbox, idp.issuer, {
        tiers: ['  standard: { idle: 45m, max_session: 12h }', '  privileged: { idle: 15m, max_session: 8h, confirm: true }'].join('\n'),
        rules: ['  - name: git-host', `    match: "git-credential ${git.url}*"`, '    tier: privileged'].join('\n'),
      }),
    );
    const result = await helper(sandbox, 'get', `protocol=http\nhost=${new URL(git.url).host}\npath=app.git\n\n`);
    expect(result.code).toBe(77);
    expect(result.stdout).toBe('quit=1\n'); // a refusal ends the credential question (SPEC §14)
    expect(result.stderr).toBe('guard: "git-credential" (tier privileged) needs a confirmation and no terminal can answer (no controlling terminal); run git from a terminal, or put that host on a tier without confirm\n');
    expect(auditEvents(sandbox).map((e) => [e.event, e.reason])).toEqual([['denied', 'confirm_needed']]);
  });
});

describe('a refusal ends the credential question (SPEC §14)', () => {
  it("with guard's helper then git's store: a success lets store keep the token, and after guard's refusal git gives out no password", async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, idp.issuer));
    await login(sandbox);
    // The common set-up: guard for the host, and store for everything (~/.gitconfig of HOME = sandbox.dir).
    const env = { ...sandbox.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', SSH_ASKPASS: '', GIT_CONFIG_NOSYSTEM: '1' };
    const gitConfig = (...args: string[]) => execFileSync('git', ['config', '--global', ...args], { env });
    gitConfig(`credential.${git.url}.helper`, `!${GUARD_BIN} git-credential`);
    gitConfig('--add', 'credential.helper', 'store');
    const gitRun = (args: string[], input?: string) => {
      const child = spawn('git', args, { env, cwd: sandbox.dir, stdio: ['pipe', 'pipe', 'pipe'] });
      child.stdin!.end(input ?? '');
      return collect(child);
    };
    const fill = `protocol=http\nhost=${new URL(git.url).host}\npath=app.git\n\n`;

    // A success: git runs `approve` on every helper, so store writes guard's token to ~/.git-credentials.
    const cloned = await gitRun(['clone', '-q', `${git.url}/app.git`, join(sandbox.dir, 'first')]);
    expect(cloned.code, cloned.stderr).toBe(0);
    const token = (await readKeychain(sandbox.profile))!.access_token;
    expect(readFileSync(join(sandbox.dir, '.git-credentials'), 'utf8')).toContain(token);

    // guard now refuses (the session is locked; no terminal, so no sign-in): git must not fall through to store.
    expect((await runGuard(['lock'], sandbox.env)).code).toBe(0);
    const filled = await gitRun(['credential', 'fill'], fill);
    expect(filled.stdout).not.toContain('password=');
    expect(filled.code).not.toBe(0);
    expect(filled.stderr).toContain(`guard: sign-in required for profile "${sandbox.profile}"`);
    expect(filled.stderr).toMatch(/told us to quit/);
    const before = git.requests.length;
    const refused = await gitRun(['clone', '-q', `${git.url}/app.git`, join(sandbox.dir, 'second')]);
    expect(refused.code).not.toBe(0);
    expect(git.requests.slice(before).some((r) => r.password)).toBe(false);
    expect(existsSync(join(sandbox.dir, 'second', 'README'))).toBe(false);

    // A request guard cannot read is a refusal too: git's own helper call with stdin unreadable (a directory).
    const unreadable = await gitRun(['-c', 'credential.helper=', '-c', `credential.helper=!f() { ${GUARD_BIN} git-credential "$@" < /; }; f`, '-c', 'credential.helper=store', 'credential', 'fill'], fill);
    expect(unreadable.stdout).not.toContain('password=');
    expect(unreadable.stderr).toContain("guard: cannot read git's request on stdin (EISDIR)");
    expect(unreadable.stderr).toMatch(/told us to quit/);

    // And doctor names both the helper and the stored token, without printing it.
    const doctor = await runGuard(['doctor'], env);
    expect(doctor.stdout).toMatch(/^! git credential helper credential\.helper=store: git hands it guard's token for http:\/\/127\.0\.0\.1:\d+ after every success, and it writes the token to disk in plain text \(to keep it for other hosts, see docs\/git\.md\) — fix: git config --file ~\/\.gitconfig --unset-all credential\.helper '\^store\$'$/m);
    expect(doctor.stdout).toMatch(/^! git credentials file ~\/\.git-credentials line 1 \(http:\/\/127\.0\.0\.1:\d+\): .*stored in plain text/m);
    expect(doctor.stdout + doctor.stderr).not.toContain(token);
  });
});

