/**
 * The session lifecycle against every real identity provider of the suite
 * (test/support/providers.ts): oidc-provider and Glewlwyd, each started by
 * the test on 127.0.0.1. Login (the device code approved over HTTP the way
 * the IdP's own pages do it), status, run, silent refresh, a parallel
 * refresh burst, a rejected refresh, idle expiry, step-up and logout.
 *
 * Glewlwyd differs where real IdPs differ: an opaque `sub`, a refresh of a
 * dead refresh token answered 400 with an empty body, no ID token on
 * refresh, a revocation endpoint that wants the access token as bearer, and
 * `max_age` ignored with `auth_time` set to the approval.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collect, configFor, createSandbox, runGuard, startGuard, type GuardResult, type Sandbox } from '../support/guard.ts';
import { readKeychain } from '../support/keychain.ts';
import { PROVIDERS, refreshAccepted, revokeAtIdp, runApproved, userinfoOk, type RunningProvider } from '../support/providers.ts';

type Session = Record<string, unknown> & { subject: string; auth_time: number | null; last_activity: number; login_time: number };

const stateFile = (sandbox: Sandbox) => join(sandbox.stateDir, 'sessions', `${sandbox.profile}.json`);
const readState = (sandbox: Sandbox) => JSON.parse(readFileSync(stateFile(sandbox), 'utf8')) as Session;
/** Moves the session's clocks by hand (guard's decision reads them): no test waits on a timer. */
const editState = (sandbox: Sandbox, change: Partial<Session>) => writeFileSync(stateFile(sandbox), JSON.stringify({ ...readState(sandbox), ...change }));
const expireAccessToken = (sandbox: Sandbox) => editState(sandbox, { access_expires_at: Date.now() - 1_000 });
const auditEvents = (sandbox: Sandbox) =>
  readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

describe.each(PROVIDERS)('against $name', (factory) => {
  let provider: RunningProvider;
  beforeAll(async () => {
    provider = await factory.start();
    console.log(`${provider.name} ${provider.version} at ${provider.issuer}`);
  });
  afterAll(async () => {
    await provider?.stop();
  });

  function sandboxWith(options: Parameters<typeof configFor>[2] = {}): Sandbox {
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, provider.issuer, { scopes: ['openid', 'profile', 'email', 'offline_access'], ...options }).replace('client_id: guard-cli', `client_id: ${provider.clientId}`));
    return sandbox;
  }

  async function signIn(sandbox: Sandbox, login = 'alice'): Promise<GuardResult> {
    const result = await runApproved(provider, ['login', '--no-browser'], sandbox.env, { login });
    expect(result.stderr).toMatch(/^guard: signed in as /m);
    expect(result.code).toBe(0);
    return result;
  }

  it('signs in over the device flow, shows a readable name, runs commands, and logout revokes the grant', async () => {
    const sandbox = sandboxWith();
    const signedIn = await signIn(sandbox);
    expect(signedIn.stderr).toContain(`signed in as ${provider.aliceName}`);

    const state = readState(sandbox);
    expect(state.subject.includes('alice')).toBe(!provider.opaqueSubject); // Glewlwyd's sub is a random id
    expect(typeof state.auth_time).toBe('number');
    const tokens = (await readKeychain(sandbox.profile))!;
    expect(tokens.refresh_token).toBeTruthy();
    expect(await userinfoOk(provider, tokens.access_token)).toBe(true);

    const status = await runGuard(['status', '--json'], sandbox.env);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ logged_in: true, subject: state.subject, display_name: provider.aliceName });
    const text = await runGuard(['status'], sandbox.env);
    expect(text.stdout).toContain(`signed in as ${provider.aliceName}`);
    expect(text.stdout).toContain(state.subject);
    const overview = await runGuard([], sandbox.env);
    expect(overview.stdout).toContain(`signed in as ${provider.aliceName}`);

    const ran = await runGuard(['run', '--no-prompt', '--', 'sh', '-c', 'echo out; exit 3'], sandbox.env);
    expect(ran).toMatchObject({ code: 3, stdout: 'out\n', stderr: '' });

    const loggedOut = await runGuard(['logout'], sandbox.env);
    expect(loggedOut.code).toBe(0);
    expect(loggedOut.stderr).toBe(`guard: signed out of profile ${sandbox.profile}\n`);
    expect(await readKeychain(sandbox.profile)).toBeUndefined();
    expect(existsSync(stateFile(sandbox))).toBe(false);
    expect(await refreshAccepted(provider, tokens.refresh_token!)).toBe(false);
    expect((await runGuard(['status'], sandbox.env)).code).toBe(77);
    expect(auditEvents(sandbox).map((e) => e.event)).toEqual(['login', 'allowed', 'command_exit', 'logout']);
  });

  it('refreshes silently when the access token expired, rotating the refresh token, and keeps auth_time and the name', async () => {
    const sandbox = sandboxWith();
    await signIn(sandbox);
    const before = (await readKeychain(sandbox.profile))!;
    const { auth_time: authTime, subject } = readState(sandbox);
    expireAccessToken(sandbox);

    const ran = await runGuard(['run', '--no-prompt', '--', 'true'], sandbox.env);
    expect(ran).toMatchObject({ code: 0, stderr: '' });
    const after = (await readKeychain(sandbox.profile))!;
    expect(after.access_token).not.toBe(before.access_token);
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expect(await userinfoOk(provider, after.access_token)).toBe(true);
    expect(auditEvents(sandbox).map((e) => e.event)).toEqual(['login', 'refresh', 'allowed', 'command_exit']);
    // A refresh never moves auth_time (Glewlwyd sends no ID token on refresh at all).
    expect(readState(sandbox)).toMatchObject({ auth_time: authTime, subject });
    expect(JSON.parse((await runGuard(['status', '--json'], sandbox.env)).stdout)).toMatchObject({ subject, display_name: provider.aliceName });

    await runGuard(['logout'], sandbox.env);
    expect(await refreshAccepted(provider, after.refresh_token!)).toBe(false);
  });

  it('a burst of 8 parallel guards right after expiry refreshes once, and the grant survives', async () => {
    const sandbox = sandboxWith();
    await signIn(sandbox);
    const before = (await readKeychain(sandbox.profile))!;
    expireAccessToken(sandbox);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => collect(startGuard(i % 2 === 0 ? ['token', '--no-prompt'] : ['run', '--no-prompt', '--', 'true'], sandbox.env))),
    );
    expect(results.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([]);
    const handedOut = new Set(results.filter((r) => r.stdout).map((r) => r.stdout.trim()));
    expect(handedOut.size).toBe(1); // one refresh: everybody got the winner's token
    for (const token of handedOut) expect(await userinfoOk(provider, token)).toBe(true);
    expect(auditEvents(sandbox).filter((e) => e.event === 'refresh')).toHaveLength(1);
    expect((await readKeychain(sandbox.profile))!.refresh_token).not.toBe(before.refresh_token);

    // The rotated refresh token is the live one: the next refresh works.
    expireAccessToken(sandbox);
    const next = await runGuard(['token', '--no-prompt'], sandbox.env);
    expect(next.code).toBe(0);
    expect(await userinfoOk(provider, next.stdout.trim())).toBe(true);
    await runGuard(['logout'], sandbox.env);
  });

  it('a refresh token revoked at the IdP ends the session: 77 without a prompt, nothing run', async () => {
    const sandbox = sandboxWith();
    await signIn(sandbox);
    await revokeAtIdp(provider, (await readKeychain(sandbox.profile))!);
    expireAccessToken(sandbox);
    const marker = join(sandbox.dir, 'ran');
    const denied = await runGuard(['run', '--no-prompt', '--', 'touch', marker], sandbox.env);
    expect(denied.code, denied.stderr).toBe(77);
    expect(existsSync(marker)).toBe(false);
    // One line: what happened and what to do (issue 24).
    expect(denied.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^guard: sign-in required for profile "${sandbox.profile}" \\(the identity provider ended the session: (invalid grant|refresh rejected)\\); run: guard login --profile ${sandbox.profile} — or pass --prompt to sign in inline$`)),
    ]);
    expect(auditEvents(sandbox).find((e) => e.event === 'refresh')).toMatchObject({ result: 'rejected' });
    expect(existsSync(stateFile(sandbox))).toBe(false);
    expect(await readKeychain(sandbox.profile)).toBeUndefined();
  });

  it('a rejected refresh with --prompt falls back to an inline login, then runs the command', async () => {
    const sandbox = sandboxWith();
    await signIn(sandbox);
    await revokeAtIdp(provider, (await readKeychain(sandbox.profile))!);
    expireAccessToken(sandbox);
    const marker = join(sandbox.dir, 'ran');
    const ran = await runApproved(provider, ['run', '--prompt', '--no-browser', '--', 'touch', marker], sandbox.env);
    expect(ran.code, ran.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect(auditEvents(sandbox).map((e) => e.event)).toEqual(['login', 'refresh', 'login', 'allowed', 'command_exit']);
    await runGuard(['logout'], sandbox.env);
  });

  it('a step-up signs in again at the IdP: the new auth_time is fresh, login_time is kept', async () => {
    const sandbox = sandboxWith({ tiers: '  standard: { idle: 45m, max_session: 12h }\n  privileged: { idle: 15m, max_session: 8h, reauth_within: 10m }' });
    await signIn(sandbox);
    const before = readState(sandbox);
    editState(sandbox, { auth_time: Date.now() - 3_600_000 });
    const started = Date.now();
    const marker = join(sandbox.dir, 'ran');
    const ran = await runApproved(provider, ['run', '--prompt', '--no-browser', '--tier', 'privileged', '--', 'touch', marker], sandbox.env);
    expect(ran.code, ran.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true);
    const after = readState(sandbox);
    // oidc-provider re-authenticates (prompt=login); Glewlwyd ignores max_age but dates auth_time at the approval.
    expect(after.auth_time).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000);
    expect(after).toMatchObject({ subject: before.subject, login_time: before.login_time });
    expect(auditEvents(sandbox).map((e) => e.event)).toEqual(['login', 'step_up', 'allowed', 'command_exit']);
    await runGuard(['logout'], sandbox.env);
  });

  it('an idle session is dead: 77, ended, and its refresh token revoked at the IdP', async () => {
    const sandbox = sandboxWith({ tiers: '  standard: { idle: 15m, max_session: 12h }' });
    await signIn(sandbox);
    const tokens = (await readKeychain(sandbox.profile))!;
    editState(sandbox, { last_activity: Date.now() - 16 * 60_000 });
    const marker = join(sandbox.dir, 'ran');
    const denied = await runGuard(['run', '--no-prompt', '--', 'touch', marker], sandbox.env);
    expect(denied.code, denied.stderr).toBe(77);
    expect(existsSync(marker)).toBe(false);
    expect(denied.stderr).toMatch(/\(the session expired \(idle\)\)/);
    expect(auditEvents(sandbox).find((e) => e.event === 'session_expired')).toMatchObject({ reason: 'idle' });
    expect(await readKeychain(sandbox.profile)).toBeUndefined();
    expect(await refreshAccepted(provider, tokens.refresh_token!)).toBe(false);
  });
});
