/**
 * What real identity providers do differently (issue 14), each played by the
 * misbehaving IdP of the tests' own (test/support/fake-idp.ts), so every
 * variant is pinned down; providers.test.ts meets the same behaviours at the
 * real Glewlwyd.
 *
 * - an opaque `sub`: status, status --json and the overview show a readable
 *   name (preferred_username, email or name; ID token, else userinfo);
 * - a refresh answered 400/401 with an empty or non-JSON body is the end of
 *   the grant (77, or an inline login), while 5xx and timeouts stay 69;
 * - a revocation endpoint that wants `Authorization: Bearer`;
 * - no ID token on refresh; max_age ignored; auth_time = the approval.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFor, createSandbox, runGuard, type GuardResult, type Sandbox } from '../support/guard.ts';
import { startFakeIdp, type Exchange } from '../support/fake-idp.ts';
import { errorLine, snapshotSession, stateFile } from '../support/session-snapshot.ts';
import { readKeychain } from '../support/keychain.ts';
import { checkSecretsAfterAll } from '../support/hygiene.ts';
import { useServer } from '../support/use-server.ts';

const TIERS = ['  standard: { idle: 45m, max_session: 12h }', '  privileged: { idle: 15m, max_session: 8h, reauth_within: 10m }'].join('\n');
const OPAQUE = 'f3c1d0a4-8e9b-4c55-a0f1-0c9d4e6b2a77';

const fake = useServer(() => startFakeIdp({ subject: OPAQUE }));
// Secret hygiene: nothing the fake IdP issued may appear in a file guard wrote or in anything it printed.
const { folders, outputs } = checkSecretsAfterAll(() => fake.issued);

afterEach(() => {
  fake.reset();
  fake.authTime = undefined;
});

async function guard(args: string[], sandbox: Sandbox): Promise<GuardResult> {
  const result = await runGuard(args, sandbox.env);
  outputs.push(result.stdout, result.stderr);
  return result;
}

const now = () => Math.floor(Date.now() / 1000);
const readState = (sandbox: Sandbox) => JSON.parse(readFileSync(stateFile(sandbox), 'utf8')) as Record<string, unknown>;
const editState = (sandbox: Sandbox, change: Record<string, unknown>) => writeFileSync(stateFile(sandbox), JSON.stringify({ ...readState(sandbox), ...change }));
const events = (sandbox: Sandbox) =>
  readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

/** A session made by `guard login` at the fake IdP, whose ID token carries `claims`. */
async function seed(claims: Record<string, unknown> = { preferred_username: 'alice' }): Promise<Sandbox> {
  const sandbox = createSandbox();
  sandbox.env.GUARD_HTTP_TIMEOUT = '1';
  sandbox.writeConfig(configFor(sandbox, fake.issuer, { tiers: TIERS }));
  folders.push(sandbox.dir);
  fake.set('token', async (x) => x.json(200, await fake.tokenResponse({ claims })));
  const result = await guard(['login'], sandbox);
  fake.reset();
  expect(result.code, result.stderr).toBe(0);
  return sandbox;
}

const expireAccessToken = (sandbox: Sandbox) => editState(sandbox, { access_expires_at: Date.now() - 1_000 });

describe('an opaque sub: a readable name, the sub kept', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['preferred_username', { preferred_username: 'alice', email: 'alice@example.test', name: 'Alice Example' }, 'alice'],
    ['email when there is no preferred_username', { email: 'alice@example.test', name: 'Alice Example' }, 'alice@example.test'],
    ['name when there is nothing else', { name: 'Alice Example' }, 'Alice Example'],
  ])('shows %s from the ID token', async (_what, claims, shown) => {
    const sandbox = await seed(claims);
    const json = await guard(['status', '--json'], sandbox);
    expect(JSON.parse(json.stdout)).toMatchObject({ logged_in: true, subject: OPAQUE, display_name: shown });
    const text = await guard(['status'], sandbox);
    expect(text.stdout.split('\n')[0]).toBe(`● signed in as ${shown} (sub ${OPAQUE}) — profile ${sandbox.profile} (${fake.issuer}), keychain: secret-service`);
    const overview = await guard([], sandbox);
    expect(overview.stdout).toMatch(new RegExp(`^● signed in as ${shown} \\(sub ${OPAQUE}\\) — profile ${sandbox.profile} `, 'm'));
    // Shown, never trusted: the session's subject is the sub.
    expect(readState(sandbox)).toMatchObject({ subject: OPAQUE, display_name: shown });
  });

  it('asks userinfo when the ID token has no name claim', async () => {
    fake.set('userinfo', (x) => x.json(200, { sub: OPAQUE, email: 'alice@example.test' }));
    const sandbox = await seed({});
    expect(JSON.parse((await guard(['status', '--json'], sandbox)).stdout)).toMatchObject({ subject: OPAQUE, display_name: 'alice@example.test' });
    const asked = fake.requests.filter((r) => r.endpoint === 'userinfo');
    expect(asked.at(-1)!.headers.authorization).toMatch(/^Bearer at-/);
  });

  it.each<[string, (x: Exchange) => void]>([
    ['a userinfo answer about another sub', (x) => x.json(200, { sub: 'mallory', email: 'mallory@example.test' })],
    ['a userinfo endpoint that fails', (x) => x.html(500)],
  ])('ignores %s: the sub is shown, the login still works', async (_what, handler) => {
    fake.set('userinfo', handler);
    const sandbox = await seed({});
    expect(JSON.parse((await guard(['status', '--json'], sandbox)).stdout)).toMatchObject({ subject: OPAQUE, display_name: null });
    expect((await guard(['status'], sandbox)).stdout.split('\n')[0]).toBe(`● signed in as ${OPAQUE} — profile ${sandbox.profile} (${fake.issuer}), keychain: secret-service`);
  });

  it('escapes control characters in the name the IdP sent', async () => {
    const sandbox = await seed({ preferred_username: 'alice\u001b]0;pwned\u0007\u001b[2J' });
    const text = await guard(['status'], sandbox);
    expect(text.stdout).not.toMatch(/[\u001b\u0007]/);
    expect(text.stdout).toContain('signed in as alice');
  });
});

describe('a refresh answered 400/401 without an OAuth error body is the end of the grant', () => {
  it.each<[string, (x: Exchange) => void]>([
    ['HTTP 400 with an empty body', (x) => x.empty(400)],
    ['HTTP 401 with an empty body', (x) => x.empty(401)],
    ['HTTP 400 with an HTML page', (x) => x.html(400, '<!DOCTYPE html><html><body><h1>Bad Request</h1></body></html>')],
    ['HTTP 400 with JSON that has no "error"', (x) => x.json(400, {})],
  ])('%s → the session ends, 77 without a prompt, nothing run', async (_what, handler) => {
    const sandbox = await seed();
    expireAccessToken(sandbox);
    fake.set('token', handler);
    const marker = join(sandbox.dir, 'ran');
    const result = await guard(['run', '--no-prompt', '--', 'touch', marker], sandbox);
    expect(result.code, result.stderr).toBe(77);
    expect(existsSync(marker)).toBe(false);
    // One line that says what happened and what to do (issue 24), not a warning and then the refusal.
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `guard: sign-in required for profile "${sandbox.profile}" (the identity provider ended the session: refresh rejected); run: guard login --profile ${sandbox.profile} — or pass --prompt to sign in inline`,
    ]);
    expect(events(sandbox).find((e) => e.event === 'refresh')).toMatchObject({ result: 'rejected', reason: 'refresh_rejected' });
    expect(await snapshotSession(sandbox)).toEqual({ state: undefined, keychain: undefined });
  });

  it('with --prompt the rejection falls back to an inline login, then runs the command', async () => {
    const sandbox = await seed();
    expireAccessToken(sandbox);
    fake.set('token', async (x) => (x.request.form.get('grant_type') === 'refresh_token' ? x.empty(400) : x.json(200, await fake.tokenResponse({ claims: { preferred_username: 'alice' } }))));
    const marker = join(sandbox.dir, 'ran');
    const result = await guard(['run', '--prompt', '--no-browser', '--', 'touch', marker], sandbox);
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect(events(sandbox).map((e) => e.event)).toEqual(['login', 'refresh', 'login', 'allowed', 'command_exit']);
  });

  it.each<[string, (x: Exchange) => void, RegExp]>([
    ['HTTP 500 with an empty body', (x) => x.empty(500), /answered HTTP 500 during the token refresh/],
    ['HTTP 502 with an HTML page', (x) => x.html(502), /answered HTTP 502 during the token refresh/],
    ['HTTP 403 with an empty body', (x) => x.empty(403), /answered HTTP 403 during the token refresh/],
    ['no answer within the timeout', (x) => x.hang(), /did not answer in time during the token refresh/],
  ])('%s stays an IdP fault: 69, the session kept', async (_what, handler, message) => {
    const sandbox = await seed();
    expireAccessToken(sandbox);
    const before = await snapshotSession(sandbox);
    fake.set('token', handler);
    const marker = join(sandbox.dir, 'ran');
    const result = await guard(['run', '--no-prompt', '--', 'touch', marker], sandbox);
    expect(result.code, result.stderr).toBe(69);
    expect(errorLine(result.stderr)).toMatch(message);
    expect(existsSync(marker)).toBe(false);
    expect(await snapshotSession(sandbox)).toEqual(before);
  });
});

describe('a revocation endpoint that wants the access token as bearer', () => {
  const revocations = (from: number) => fake.requests.slice(from).filter((r) => r.endpoint === 'revoke');
  /** Refuses a public client unless it shows a live access token, like Glewlwyd. */
  const bearerOnly = (x: Exchange) => {
    const bearer = /^Bearer (\S+)$/.exec(x.request.headers.authorization ?? '')?.[1];
    if (!bearer || !fake.issued.has(bearer)) return x.empty(401);
    fake.liveRefreshTokens.delete(x.request.form.get('token') ?? '');
    x.empty(200);
  };

  it('logout asks again with the bearer, and the refresh token is revoked', async () => {
    const sandbox = await seed();
    const tokens = (await readKeychain(sandbox.profile))!;
    fake.set('revoke', bearerOnly);
    const from = fake.requests.length;
    const result = await guard(['logout'], sandbox);
    expect(result).toMatchObject({ code: 0, stderr: `guard: signed out of profile ${sandbox.profile}\n` });
    const [first, second, ...more] = revocations(from);
    expect(first!.headers.authorization).toBeUndefined(); // never sent unasked
    expect(second!.headers.authorization).toBe(`Bearer ${tokens.access_token}`);
    expect(second!.form.get('token')).toBe(tokens.refresh_token);
    expect(more).toEqual([]);
    expect(fake.liveRefreshTokens.has(tokens.refresh_token!)).toBe(false);
  });

  it('an idle session that dies is revoked the same way', async () => {
    const sandbox = await seed();
    const tokens = (await readKeychain(sandbox.profile))!;
    editState(sandbox, { last_activity: Date.now() - 46 * 60_000 }); // past the loosest tier's idle (45m): dead
    fake.set('revoke', bearerOnly);
    const result = await guard(['run', '--no-prompt', '--', 'true'], sandbox);
    expect(result.code).toBe(77);
    expect(fake.liveRefreshTokens.has(tokens.refresh_token!)).toBe(false);
  });

  it('says plainly when the IdP refuses even with the bearer, and still signs out locally', async () => {
    const sandbox = await seed();
    const tokens = (await readKeychain(sandbox.profile))!;
    fake.set('revoke', (x) => x.empty(401));
    const result = await guard(['logout'], sandbox);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      `guard: the identity provider ${fake.issuer} refused to revoke the refresh token (HTTP 401); it stays valid there until it expires — sign out at the identity provider to end it now\n` +
        `guard: signed out of profile ${sandbox.profile}\n`,
    );
    expect(await snapshotSession(sandbox)).toEqual({ state: undefined, keychain: undefined });
    expect(fake.liveRefreshTokens.has(tokens.refresh_token!)).toBe(true);
  });

  it('an IdP that revokes for a public client gets one request, without the access token', async () => {
    const sandbox = await seed();
    const from = fake.requests.length;
    expect((await guard(['logout'], sandbox)).code).toBe(0);
    const sent = revocations(from);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.headers.authorization).toBeUndefined();
  });

  it('a revocation endpoint that is down is no reason for a bearer retry', async () => {
    const sandbox = await seed();
    fake.set('revoke', (x) => x.html(503));
    const from = fake.requests.length;
    const result = await guard(['logout'], sandbox);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^guard: could not revoke the refresh token at the identity provider \(.*answered HTTP 503 during revocation/m);
    expect(revocations(from)).toHaveLength(1);
  });
});

describe('refresh and step-up at IdPs that differ', () => {
  it('no ID token on refresh: the session goes on with its subject, name and auth_time', async () => {
    const sandbox = await seed({ preferred_username: 'alice' });
    const before = readState(sandbox);
    expireAccessToken(sandbox);
    fake.set('token', async (x) => {
      const { id_token: _dropped, ...rest } = await fake.tokenResponse();
      x.json(200, rest);
    });
    const result = await guard(['run', '--no-prompt', '--', 'true'], sandbox);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(readState(sandbox)).toMatchObject({ subject: OPAQUE, display_name: 'alice', auth_time: before.auth_time, login_time: before.login_time });
    expect(events(sandbox).find((e) => e.event === 'refresh')).toMatchObject({ result: 'ok' });
  });

  it('max_age ignored (the old auth_time comes back): the step-up is refused, 77, nothing run', async () => {
    const sandbox = await seed();
    editState(sandbox, { auth_time: Date.now() - 3_600_000 });
    fake.authTime = now() - 3_600; // the IdP reuses its old authentication
    const marker = join(sandbox.dir, 'ran');
    const result = await guard(['run', '--prompt', '--no-browser', '--tier', 'privileged', '--', 'touch', marker], sandbox);
    expect(result.code, result.stderr).toBe(77);
    expect(errorLine(result.stderr)).toMatch(/^guard: the identity provider ignored the re-authentication request \(auth_time is 1h\d*m?\d*s? old\)/);
    expect(existsSync(marker)).toBe(false);
    expect(events(sandbox).at(-1)).toMatchObject({ event: 'login_failed', reason: 'reauth_ignored' });
  });

  it('a step-up answered by an authentication newer than the stored one but older than the request is refused', async () => {
    // Both older than the flow's start: only the rule "the new auth_time is not older than the request" refuses it.
    const sandbox = await seed();
    editState(sandbox, { auth_time: Date.now() - 2 * 3_600_000 });
    fake.authTime = now() - 3_600;
    const marker = join(sandbox.dir, 'ran');
    const result = await guard(['run', '--prompt', '--no-browser', '--tier', 'privileged', '--', 'touch', marker], sandbox);
    expect(result.code, result.stderr).toBe(77);
    expect(errorLine(result.stderr)).toMatch(/^guard: the identity provider ignored the re-authentication request \(auth_time is 1h\d*m?\d*s? old\)/);
    expect(existsSync(marker)).toBe(false);
    expect(readState(sandbox).auth_time).toBeLessThan(Date.now() - 2 * 3_600_000 + 60_000); // the old one stays
    expect(events(sandbox).at(-1)).toMatchObject({ event: 'login_failed', reason: 'reauth_ignored' });
  });

  it('login --step-up with no session before it: an old authentication is refused, nothing stored', async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, fake.issuer, { tiers: TIERS }));
    folders.push(sandbox.dir);
    fake.authTime = now() - 3_600;
    const result = await guard(['login', '--step-up', '--no-browser'], sandbox);
    expect(result.code, result.stderr).toBe(77);
    expect(errorLine(result.stderr)).toMatch(/^guard: the identity provider ignored the re-authentication request \(auth_time is 1h\d*m?\d*s? old\)/);
    expect(await snapshotSession(sandbox)).toEqual({ state: undefined, keychain: undefined });
  });

  it('a refreshed ID token that names another subject ends the session: one line, nothing run, its tokens revoked', async () => {
    const sandbox = await seed();
    expireAccessToken(sandbox);
    let handedOut: Record<string, unknown> | undefined;
    fake.set('token', async (x) => {
      handedOut = await fake.tokenResponse({ claims: { sub: 'mallory' } });
      x.json(200, handedOut);
    });
    const marker = join(sandbox.dir, 'ran');
    const result = await guard(['run', '--no-prompt', '--', 'touch', marker], sandbox);
    expect(result.code, result.stderr).toBe(77);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `guard: sign-in required for profile "${sandbox.profile}" (the identity provider ended the session: subject changed); run: guard login --profile ${sandbox.profile} — or pass --prompt to sign in inline`,
    ]);
    expect(existsSync(marker)).toBe(false);
    expect(await snapshotSession(sandbox)).toEqual({ state: undefined, keychain: undefined });
    expect(events(sandbox).find((e) => e.event === 'refresh')).toMatchObject({ result: 'rejected', reason: 'subject_changed' });
    expect(fake.liveRefreshTokens.has(handedOut!.refresh_token as string)).toBe(false);
  });

  it('auth_time equal to the approval: the step-up counts, login_time is kept', async () => {
    const sandbox = await seed();
    const before = readState(sandbox);
    editState(sandbox, { auth_time: Date.now() - 3_600_000 });
    const started = Date.now();
    const marker = join(sandbox.dir, 'ran');
    const result = await guard(['run', '--prompt', '--no-browser', '--tier', 'privileged', '--', 'touch', marker], sandbox);
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true);
    const after = readState(sandbox);
    expect(after.auth_time).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000);
    expect(after.login_time).toBe(before.login_time);
    expect(fake.requests.filter((r) => r.endpoint === 'device').at(-1)!.form.get('max_age')).toBe('1');
  });
});
