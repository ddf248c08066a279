/**
 * The walking skeleton end to end, all parts real: bin/guard as a process,
 * oidc-provider on 127.0.0.1, gnome-keyring's Secret Service.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startIdp } from '../support/idp.ts';
import { collect, configFor, createSandbox, login, runGuard, runGuardNoSignIn, startGuard, runWithApproval } from '../support/guard.ts';
import { freePort } from '../support/net.ts';
import { readKeychain, tryRefresh, userinfoAccepts } from '../support/keychain.ts';
import { backdateSession } from '../support/state-file.ts';
import { useServer } from '../support/use-server.ts';

const idp = useServer(() => startIdp({ accessTtl: 3 }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const auditEvents = (stateDir: string) =>
  readFileSync(join(stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

function sandboxWith(options: Parameters<typeof configFor>[2] = {}) {
  const sandbox = createSandbox();
  sandbox.writeConfig(configFor(sandbox, idp.issuer, options));
  return sandbox;
}

describe('without a session', () => {
  it('exits 77 with --no-prompt and does not run the command', async () => {
    const sandbox = sandboxWith();
    const marker = join(sandbox.dir, 'ran');
    const result = await runGuard(['run', '--no-prompt', '--', 'touch', marker], sandbox.env);
    expect(result.code).toBe(77);
    expect(existsSync(marker)).toBe(false);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^guard: sign-in required .*guard login/);
    expect(auditEvents(sandbox.stateDir).map((e) => e.event)).toEqual(['denied']);
  });

  it('exits 77 without a TTY by default (no inline login in scripts): no device flow starts, the command does not run', async () => {
    const sandbox = sandboxWith();
    const marker = join(sandbox.dir, 'ran');
    const result = await runGuardNoSignIn(['run', '--', 'touch', marker], sandbox.env);
    expect(result.signInStarted).toBe(false);
    expect(result.code).toBe(77);
    expect(result.stderr).toBe(`guard: sign-in required for profile "${sandbox.profile}" (no session); run: guard login --profile ${sandbox.profile} — or pass --prompt to sign in inline\n`);
    expect(existsSync(marker)).toBe(false);
    expect(auditEvents(sandbox.stateDir).map((e) => e.event)).toEqual(['denied']);
  });

  it('status exits 77', async () => {
    const sandbox = sandboxWith();
    const result = await runGuard(['status'], sandbox.env);
    expect(result.code).toBe(77);
    expect(result.stdout).toContain('not signed in');
  });
});

describe('login, run, status, logout', () => {
  it('signs in over the device flow and runs commands until logout revokes the grant', async () => {
    const sandbox = sandboxWith();
    const signedIn = await login(sandbox, { login: 'alice' });
    expect(signedIn.stderr).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/device\?user_code=\S+$/m);
    expect(signedIn.stderr).toMatch(/^[A-Z]{4}-[A-Z]{4}$/m);
    expect(signedIn.stderr).toContain('signed in as alice');

    const tokens = await readKeychain(sandbox.profile);
    expect(tokens?.refresh_token).toBeTruthy();
    expect(await userinfoAccepts(idp.issuer, tokens!.access_token)).toBe(true);

    // State: 0600, no token material, auth_time from the ID token.
    const stateFile = join(sandbox.stateDir, 'sessions', `${sandbox.profile}.json`);
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(state.subject).toBe('alice');
    expect(typeof state.auth_time).toBe('number');
    expect(readFileSync(stateFile, 'utf8')).not.toContain(tokens!.access_token);

    const ran = await runGuard(['run', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3'], sandbox.env);
    expect(ran).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });

    const status = await runGuard(['status', '--json'], sandbox.env);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ logged_in: true, subject: 'alice', profile: sandbox.profile });

    const loggedOut = await runGuard(['logout'], sandbox.env);
    expect(loggedOut.code).toBe(0);
    expect(await readKeychain(sandbox.profile)).toBeUndefined();
    expect(existsSync(stateFile)).toBe(false);
    expect(await tryRefresh(idp.issuer, tokens!.refresh_token!)).toMatchObject({ status: 400, error: 'invalid_grant' });
    expect((await runGuard(['status'], sandbox.env)).code).toBe(77);

    // (This IdP's access tokens live 3 s: a slow machine may add a silent refresh.)
    const events = auditEvents(sandbox.stateDir).map((e) => e.event).filter((e) => e !== 'refresh');
    expect(events).toEqual(['login', 'allowed', 'command_exit', 'logout']);
    const audit = readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8');
    for (const secret of [tokens!.access_token, tokens!.refresh_token!, tokens!.id_token!]) expect(audit).not.toContain(secret);
  });

  it('refreshes silently when the access token expired, rotating the refresh token', async () => {
    const sandbox = sandboxWith();
    await login(sandbox);
    const before = await readKeychain(sandbox.profile);
    await sleep(3_200);
    const ran = await runGuard(['run', '--no-prompt', '--', 'true'], sandbox.env);
    expect(ran.code).toBe(0);
    expect(ran.stderr).toBe('');
    const after = await readKeychain(sandbox.profile);
    expect(after!.access_token).not.toBe(before!.access_token);
    expect(after!.refresh_token).not.toBe(before!.refresh_token);
    expect(await userinfoAccepts(idp.issuer, after!.access_token)).toBe(true);
    // The old refresh token was consumed by rotation.
    expect(auditEvents(sandbox.stateDir).map((e) => e.event)).toEqual(['login', 'refresh', 'allowed', 'command_exit']);
    await runGuard(['logout'], sandbox.env);
  });

  it('asks for a login after idle time (10m tier, 11m idle) and ends a dead session, revoking it', async () => {
    const sandbox = sandboxWith({ tiers: '  standard: { idle: 10m, max_session: 1h }' });
    await login(sandbox);
    const tokens = await readKeychain(sandbox.profile);
    expect((await runGuard(['run', '--no-prompt', '--', 'true'], sandbox.env)).code).toBe(0);
    backdateSession(sandbox, { last_activity: 11 * 60_000 });
    const marker = join(sandbox.dir, 'ran');
    const denied = await runGuard(['run', '--no-prompt', '--', 'touch', marker], sandbox.env);
    expect(denied.code).toBe(77);
    expect(existsSync(marker)).toBe(false);
    const events = auditEvents(sandbox.stateDir);
    expect(events.find((e) => e.event === 'session_expired')).toMatchObject({ reason: 'idle' });
    expect(events.at(-1)).toMatchObject({ event: 'denied', reason: 'idle' });
    expect(denied.stderr).toMatch(/\(the session expired \(idle\)\)/);
    expect(await readKeychain(sandbox.profile)).toBeUndefined();
    expect(await tryRefresh(idp.issuer, tokens!.refresh_token!)).toMatchObject({ error: 'invalid_grant' });
  });

  it('signs in inline with --prompt, then runs the command', async () => {
    const sandbox = sandboxWith();
    const marker = join(sandbox.dir, 'ran');
    const result = await runWithApproval(['run', '--prompt', '--', 'touch', marker], sandbox.env);
    expect(result.code).toBe(0);
    expect(existsSync(marker)).toBe(true);
    await runGuard(['logout'], sandbox.env);
  });
});

describe('the wrapped command', () => {
  let sandbox: ReturnType<typeof sandboxWith>;
  beforeAll(async () => {
    sandbox = sandboxWith({ tiers: '  standard: { idle: 1h, max_session: 12h }' });
    await login(sandbox);
  });
  afterAll(async () => {
    await runGuard(['logout'], sandbox.env);
  });

  it('passes death by signal through as 128+N', async () => {
    const result = await runGuard(['run', '--', 'sh', '-c', 'kill -TERM $$'], sandbox.env);
    expect(result.code).toBe(143);
  });

  it.each([
    ['SIGTERM', 15],
    ['SIGINT', 2],
    ['SIGHUP', 1],
  ] as const)('forwards %s to the command', async (signal, number) => {
    const script = `process.on('${signal}', () => { console.log('got ${signal}'); process.exit(${number + 40}); }); console.log('ready'); setInterval(() => {}, 1000);`;
    const child = startGuard(['run', '--', process.execPath, '-e', script], sandbox.env);
    const result = collect(child);
    await new Promise<void>((resolve) => child.stdout!.on('data', (chunk) => String(chunk).includes('ready') && resolve()));
    child.kill(signal);
    expect(await result).toMatchObject({ code: number + 40, stdout: `ready\ngot ${signal}\n` });
  });

  it('inherits the working directory and environment, and sets GUARD_SESSION', async () => {
    const result = await runGuard(['run', '--', 'sh', '-c', 'pwd; echo "$GUARD_SESSION $FOO"'], { ...sandbox.env, FOO: 'bar' }, { cwd: sandbox.stateDir });
    expect(result.stdout).toBe(`${sandbox.stateDir}\n${sandbox.profile} bar\n`);
  });

  it('exits 127 for a command that does not exist', async () => {
    const result = await runGuard(['run', '--', 'no-such-command-guard-test'], sandbox.env);
    expect(result.code).toBe(127);
    expect(result.stderr).toBe('guard: command not found: no-such-command-guard-test\n');
  });
});

describe('bad input fails closed with one clear line', () => {
  it('treats a corrupt state file as no session, and says so', async () => {
    const sandbox = sandboxWith();
    mkdirSync(join(sandbox.stateDir, 'sessions'), { recursive: true });
    const file = join(sandbox.stateDir, 'sessions', `${sandbox.profile}.json`);
    for (const content of ['{"version":1,', '\u0000\u00ff garbage', '[]', '{"version":99}']) {
      writeFileSync(file, content, { mode: 0o600 });
      const result = await runGuard(['run', '--no-prompt', '--', 'true'], sandbox.env);
      expect(result.code).toBe(77);
      // The note and the one error line, nothing else (a stack trace, in any build's frame format, would add lines).
      expect(result.stderr.split('\n')).toEqual([
        `guard: the session file ${file} is corrupt or from another version; treating it as no session`,
        expect.stringMatching(/^guard: sign-in required for profile "[^"]+" \(no session\); run: guard login/),
        '',
      ]);
    }
  });

  it('refuses a state file others can write', async () => {
    const sandbox = sandboxWith();
    await login(sandbox);
    const file = join(sandbox.stateDir, 'sessions', `${sandbox.profile}.json`);
    chmodSync(file, 0o666);
    const result = await runGuard(['run', '--no-prompt', '--', 'true'], sandbox.env);
    expect(result.code).toBe(77);
    expect(result.stderr).toContain('is writable by other users, so it is not trusted');
    chmodSync(file, 0o600);
    await runGuard(['logout'], sandbox.env);
  });

  it('exits 69 quickly when no Secret Service is reachable', async () => {
    const sandbox = sandboxWith();
    await login(sandbox);
    const broken = { ...sandbox.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(sandbox.dir, 'no-bus')}` };
    const started = Date.now();
    const result = await runGuard(['token', '--no-prompt'], broken);
    expect(result.code).toBe(69);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^guard: cannot read the Secret Service keychain/);
    expect(Date.now() - started).toBeLessThan(10_000); // no hang (generous: not a benchmark)
    await runGuard(['logout'], sandbox.env);
  });

  it('exits 69 when the IdP is not listening', async () => {
    const sandbox = createSandbox();
    const port = await freePort();
    sandbox.writeConfig(configFor(sandbox, `http://127.0.0.1:${port}`));
    const result = await runGuard(['login'], sandbox.env);
    expect(result.code).toBe(69);
    expect(result.stderr).toMatch(new RegExp(`^guard: the identity provider http://127\\.0\\.0\\.1:${port} refused the connection during discovery`));
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('reports config errors with file, line and column (exit 78)', async () => {
    const sandbox = sandboxWith();
    writeFileSync(sandbox.configPath, `${readFileSync(sandbox.configPath, 'utf8')}\nbogus: 1\n`);
    const result = await runGuard(['run', '--', 'true'], sandbox.env);
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(new RegExp(`^guard: invalid configuration: ${sandbox.configPath}:\\d+:1: unknown key "bogus"`));
  });

  it('leaves nothing readable by others in the state folder', async () => {
    const sandbox = sandboxWith();
    await login(sandbox);
    await runGuard(['run', '--', 'true'], sandbox.env);
    const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [join(dir, e.name), ...walk(join(dir, e.name))] : [join(dir, e.name)]));
    for (const path of [sandbox.stateDir, ...walk(sandbox.stateDir)]) expect(statSync(path).mode & 0o077).toBe(0);
    await runGuard(['logout'], sandbox.env);
  });
});
