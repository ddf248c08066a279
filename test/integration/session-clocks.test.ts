/**
 * The session clocks of SPEC §3 and §8 end to end, with the real
 * oidc-provider and Secret Service. Time passes by moving the clocks back in
 * the state file (test/support/state-file.ts), so the limits are realistic
 * (minutes, hours) and nothing races real seconds.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startIdp } from '../support/idp.ts';
import { configFor, createSandbox, login, runGuard, runWithApproval, startGuard, collect, type Sandbox } from '../support/guard.ts';
import { readKeychain, tryRefresh } from '../support/keychain.ts';
import { errorLine, lines, stateFile } from '../support/session-snapshot.ts';
import { backdateSession } from '../support/state-file.ts';
// @ts-expect-error: plain ESM helper shared with the demo and the benchmark
import { approveDevice, findVerificationUrl } from '../../scripts/lib/approve.mjs';
import { useServer } from '../support/use-server.ts';

const HOUR = 3_600_000;
const TIERS = ['  standard: { idle: 45m, max_session: 12h }', '  privileged: { idle: 15m, max_session: 8h }'].join('\n');

const idp = useServer(() => startIdp());

function sandboxWith(options: Parameters<typeof configFor>[2] = {}): Sandbox & { marker: string } {
  const sandbox = createSandbox();
  sandbox.writeConfig(configFor(sandbox, idp.issuer, { tiers: TIERS, ...options }));
  return { ...sandbox, marker: join(sandbox.dir, 'ran') };
}

const auditEvents = (sandbox: Sandbox) =>
  readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
const state = (sandbox: Sandbox) => JSON.parse(readFileSync(stateFile(sandbox), 'utf8')) as Record<string, number>;

describe('max_session', () => {
  it('a session older than every tier\'s max_session is dead: 77, the command not run, the keychain entry deleted and the refresh token revoked', async () => {
    const sandbox = sandboxWith();
    await login(sandbox);
    const tokens = await readKeychain(sandbox.profile);
    // 13 h since the login, but active a minute ago: only max_session (12h, the loosest) is exceeded.
    backdateSession(sandbox, { login_time: 13 * HOUR, auth_time: 13 * HOUR, last_activity: 60_000 });
    const denied = await runGuard(['run', '--no-prompt', '--', 'touch', sandbox.marker], sandbox.env);
    expect(denied.code).toBe(77);
    expect(existsSync(sandbox.marker)).toBe(false);
    expect(errorLine(denied.stderr)).toMatch(/^guard: sign-in required .*session expired \(max_session\)/);
    const events = auditEvents(sandbox);
    expect(events.find((e) => e.event === 'session_expired')).toMatchObject({ reason: 'max_session' });
    expect(existsSync(stateFile(sandbox))).toBe(false);
    expect(await readKeychain(sandbox.profile)).toBeUndefined();
    expect(await tryRefresh(idp.issuer, tokens!.refresh_token!)).toMatchObject({ error: 'invalid_grant' });
  });

  it('past a stricter tier\'s max_session only: that tier asks for a login, the looser tier still runs, nothing is revoked', async () => {
    const sandbox = sandboxWith();
    await login(sandbox);
    backdateSession(sandbox, { login_time: 9 * HOUR, last_activity: 0 }); // privileged 8h exceeded, standard 12h not
    const privileged = await runGuard(['run', '--no-prompt', '--tier', 'privileged', '--', 'touch', sandbox.marker], sandbox.env);
    expect(privileged.code).toBe(77);
    expect(existsSync(sandbox.marker)).toBe(false);
    const standard = await runGuard(['run', '--no-prompt', '--', 'touch', sandbox.marker], sandbox.env);
    expect(standard.code, standard.stderr).toBe(0);
    expect(existsSync(sandbox.marker)).toBe(true);
    await runGuard(['logout'], sandbox.env);
  });
});

describe('guard token refuses exactly like run', () => {
  // No TTY and no CI: neither may start a login inline, so both refuse.
  it('no session: 77, nothing on stdout, the same error line as run', async () => {
    const sandbox = sandboxWith();
    const token = await runGuard(['token'], sandbox.env);
    const run = await runGuard(['run', '--', 'touch', sandbox.marker], sandbox.env);
    for (const result of [token, run]) expect(result).toMatchObject({ code: 77, stdout: '' });
    expect(errorLine(token.stderr)).toMatch(/^guard: sign-in required for profile/);
    expect(errorLine(token.stderr)).toBe(errorLine(run.stderr));
    expect(existsSync(sandbox.marker)).toBe(false);
  });

  it('a session dead by idle time: token refuses (77, nothing on stdout) and ends it, as run does', async () => {
    const sandbox = sandboxWith();
    await login(sandbox);
    const tokens = await readKeychain(sandbox.profile);
    backdateSession(sandbox, { last_activity: 2 * HOUR });
    const token = await runGuard(['token'], sandbox.env);
    expect(token).toMatchObject({ code: 77, stdout: '' });
    expect(errorLine(token.stderr)).toMatch(/^guard: sign-in required for profile .*session expired \(idle\)/);
    expect(auditEvents(sandbox).find((e) => e.event === 'session_expired')).toMatchObject({ reason: 'idle' });
    expect(await readKeychain(sandbox.profile)).toBeUndefined();
    expect(await tryRefresh(idp.issuer, tokens!.refresh_token!)).toMatchObject({ error: 'invalid_grant' });
  });
});

describe('a refresh the IdP rejects', () => {
  it('with --prompt falls back to a device-flow login, then runs the command', async () => {
    const sandbox = sandboxWith();
    await login(sandbox, { login: 'dana' });
    const before = await readKeychain(sandbox.profile);
    // The refresh token is used behind guard's back (rotation consumes it), and the access token is due.
    expect(await tryRefresh(idp.issuer, before!.refresh_token!)).toMatchObject({ status: 200 });
    backdateSession(sandbox, { access_expires_at: HOUR });
    const result = await runWithApproval(['run', '--prompt', '--', 'touch', sandbox.marker], sandbox.env, { login: 'dana' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.url).toBeDefined(); // a device flow ran
    expect(existsSync(sandbox.marker)).toBe(true);
    // After the first login: the rejected refresh, then a new login, then the command.
    expect(auditEvents(sandbox).slice(1).map((e) => [e.event, e.result ?? null])).toEqual([
      ['refresh', 'rejected'],
      ['login', null],
      ['allowed', null],
      ['command_exit', null],
    ]);
    const after = await readKeychain(sandbox.profile);
    expect(after!.refresh_token).not.toBe(before!.refresh_token);
    expect(await tryRefresh(idp.issuer, after!.refresh_token!)).toMatchObject({ status: 200 });
    await runGuard(['logout'], sandbox.env);
  });
});

describe('status on a session that died by time', () => {
  it.each([
    ['idle', { last_activity: 2 * HOUR }],
    ['max_session', { login_time: 13 * HOUR, auth_time: 13 * HOUR }],
  ] as const)('dead by %s: exit 77 and no session is shown as signed in', async (_reason, by) => {
    const sandbox = sandboxWith();
    await login(sandbox);
    expect((await runGuard(['status'], sandbox.env)).code).toBe(0);
    backdateSession(sandbox, by);
    const text = await runGuard(['status'], sandbox.env);
    expect(text.code, text.stdout + text.stderr).toBe(77);
    expect(text.stdout).not.toMatch(/signed in as/);
    const json = await runGuard(['status', '--json'], sandbox.env);
    expect(json.code).toBe(77);
    expect(JSON.parse(json.stdout)).toMatchObject({ logged_in: false, profile: sandbox.profile });
    await runGuard(['logout'], sandbox.env);
  });

  it('status only reports: the dead session is left as it was (state, keychain, no audit line, nothing revoked) for the next command to end', async () => {
    const sandbox = sandboxWith();
    await login(sandbox);
    const tokens = await readKeychain(sandbox.profile);
    backdateSession(sandbox, { last_activity: 2 * HOUR });
    const before = readFileSync(stateFile(sandbox), 'utf8');
    const events = auditEvents(sandbox).length;
    const text = await runGuard(['status'], sandbox.env);
    expect(text.code).toBe(77);
    expect(text.stdout.split('\n')[0]).toBe(`○ session expired (idle too long) — profile ${sandbox.profile} (${idp.issuer}); run: guard login --profile ${sandbox.profile}`);
    expect(JSON.parse((await runGuard(['status', '--json'], sandbox.env)).stdout)).toMatchObject({ logged_in: false, expired: 'idle' });
    expect(readFileSync(stateFile(sandbox), 'utf8')).toBe(before);
    expect(await readKeychain(sandbox.profile)).toEqual(tokens);
    expect(auditEvents(sandbox)).toHaveLength(events);
    expect(await tryRefresh(idp.issuer, tokens!.refresh_token!)).toMatchObject({ status: 200 });
    // The next guarded command ends it (SPEC §8).
    expect((await runGuard(['run', '--no-prompt', '--', 'true'], sandbox.env)).code).toBe(77);
    expect(existsSync(stateFile(sandbox))).toBe(false);
    expect(auditEvents(sandbox).find((e) => e.event === 'session_expired')).toMatchObject({ reason: 'idle' });
  });

  it('a tier that needs a sign-in says why, and no "fires in" beside it', async () => {
    const sandbox = sandboxWith();
    await login(sandbox);
    backdateSession(sandbox, { last_activity: 20 * 60_000 }); // privileged (15m) fired, standard (45m) not
    const text = await runGuard(['status'], sandbox.env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ {2}privileged +login \(idle 20m > 15m\)$/m);
    expect(text.stdout).toMatch(/^ {2}standard +run; idle fires in 2[45]m$/m);
    const json = JSON.parse((await runGuard(['status', '--json'], sandbox.env)).stdout);
    expect(json.tiers.find((t: { tier: string }) => t.tier === 'privileged')).not.toHaveProperty('next_in_ms');
    await runGuard(['logout'], sandbox.env);
  });
});

describe('lock files', () => {
  it('the login lock held during an inline sign-in, and every file guard leaves, have no group or other bits', async () => {
    const sandbox = sandboxWith();
    const child = startGuard(['run', '--prompt', '--', 'touch', sandbox.marker], { ...sandbox.env });
    let approval: Promise<unknown> | undefined;
    let lockMode: number | undefined;
    const sessions = join(sandbox.stateDir, 'sessions');
    const result = await collect(child, (stderr) => {
      const url = !approval && findVerificationUrl(stderr);
      if (!url) return;
      // The device code is on screen: guard is waiting for approval and holds the login lock now.
      const lock = readdirSync(sessions).find((name) => name.endsWith('.login.lock'));
      lockMode = lock === undefined ? undefined : statSync(join(sessions, lock)).mode & 0o777;
      approval = approveDevice(url);
    });
    await approval;
    expect(result.code, result.stderr).toBe(0);
    expect(lockMode).toBe(0o600);
    const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [join(dir, e.name), ...walk(join(dir, e.name))] : [join(dir, e.name)]));
    for (const path of walk(sandbox.stateDir)) expect(statSync(path).mode & 0o077, path).toBe(0);
    await runGuard(['logout'], sandbox.env);
  });
});

describe('several profiles', () => {
  function twoProfiles(): Sandbox & { other: string; marker: string } {
    const sandbox = sandboxWith();
    const other = `${sandbox.profile}-b`;
    sandbox.writeConfig(
      `${readFileSync(sandbox.configPath, 'utf8').replace('tiers:', `  ${other}:\n    issuer: ${idp.issuer}\n    client_id: guard-cli\n    scopes: [openid, profile, offline_access]\ntiers:`)}`,
    );
    return { ...sandbox, other };
  }
  const otherEnv = (sandbox: Sandbox & { other: string }) => ({ ...sandbox.env, GUARD_PROFILE: sandbox.other });

  it('keep separate clocks: activity on one never moves the other\'s, and one going idle leaves the other running', async () => {
    const sandbox = twoProfiles();
    await login(sandbox, { login: 'erin' });
    const b = { ...sandbox, env: otherEnv(sandbox), profile: sandbox.other };
    await login(b, { login: 'erin' });
    backdateSession(b, { last_activity: 30 * 60_000 });
    const bBefore = state(b).last_activity;
    expect((await runGuard(['run', '--', 'true'], sandbox.env)).code).toBe(0);
    expect(state(b).last_activity).toBe(bBefore);
    // A idle for 2 h (dead), B active 30 min ago: B still runs, A does not.
    backdateSession(sandbox, { last_activity: 2 * HOUR });
    expect((await runGuard(['run', '--no-prompt', '--', 'true'], sandbox.env)).code).toBe(77);
    const bRan = await runGuard(['run', '--no-prompt', '--', 'touch', sandbox.marker], b.env);
    expect(bRan.code, bRan.stderr).toBe(0);
    expect(existsSync(sandbox.marker)).toBe(true);
    expect(state(b).last_activity).toBeGreaterThan(bBefore);
    expect(await readKeychain(b.profile)).toBeDefined();
    await runGuard(['logout', '--all'], sandbox.env);
  });

  it('logout --all ends every profile: state and keychain entries gone, both refresh tokens revoked', async () => {
    const sandbox = twoProfiles();
    await login(sandbox);
    const b = { ...sandbox, env: otherEnv(sandbox), profile: sandbox.other };
    await login(b);
    const tokens = [await readKeychain(sandbox.profile), await readKeychain(b.profile)];
    const result = await runGuard(['logout', '--all'], sandbox.env);
    expect(result.code, result.stderr).toBe(0);
    expect(lines(result.stderr)).toEqual([`guard: signed out of profile ${sandbox.profile}`, `guard: signed out of profile ${b.profile}`]);
    for (const profile of [sandbox.profile, b.profile]) expect(await readKeychain(profile)).toBeUndefined();
    for (const s of [sandbox, b]) expect(existsSync(stateFile(s))).toBe(false);
    for (const t of tokens) expect(await tryRefresh(idp.issuer, t!.refresh_token!)).toMatchObject({ error: 'invalid_grant' });
  });
});
