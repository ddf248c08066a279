/**
 * Identity-provider faults (SPEC §5, §8 "IdP faults", "Refresh is not
 * login"): a misbehaving IdP of the test's own (test/support/fake-idp.ts)
 * and the real oidc-provider. Each fault: the documented exit code, one
 * clear `guard: …` line, the command not run, the stored session unchanged.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { configFor, createSandbox, runGuard, type GuardResult, type Sandbox } from '../support/guard.ts';
import { hang, startFakeIdp, type Exchange, type FakeIdp } from '../support/fake-idp.ts';
import { startIdp, type Idp } from '../support/idp.ts';
import { errorLine, lines, snapshotSession, type SessionSnapshot } from '../support/session-snapshot.ts';
import { checkSecretsAfterAll } from '../support/hygiene.ts';
import { useServer } from '../support/use-server.ts';

const TIERS = ['  standard: { idle: 45m, max_session: 12h }', '  privileged: { idle: 15m, max_session: 8h, reauth_within: 10m }'].join('\n');

const fake = useServer(() => startFakeIdp());
// Secret hygiene: nothing the fake IdP issued may appear in a file guard wrote or in anything it printed.
const { folders, outputs } = checkSecretsAfterAll(() => fake.issued);

afterEach(() => fake.reset());

function sandboxFor(issuer: string): Sandbox {
  const sandbox = createSandbox();
  // A timeout a loaded machine can meet; rows where the IdP hangs use 1 s (see guard()).
  sandbox.env.GUARD_HTTP_TIMEOUT = '10';
  sandbox.writeConfig(configFor(sandbox, issuer, { tiers: TIERS }));
  folders.push(sandbox.dir);
  return sandbox;
}

async function guard(args: string[], sandbox: Sandbox): Promise<GuardResult> {
  const result = await runGuard(args, fake.hanging() ? { ...sandbox.env, GUARD_HTTP_TIMEOUT: '1' } : sandbox.env);
  outputs.push(result.stdout, result.stderr);
  return result;
}

interface Seeded {
  sandbox: Sandbox;
  before: SessionSnapshot;
  marker: string;
}

/**
 * A real session made by `guard login` against the fake IdP. `expired`:
 * its access token is already due for refresh; `authAgo`: seconds since the
 * user authenticated (the privileged tier wants ≤ 10 min).
 */
async function seed(options: { expired?: boolean; authAgo?: number; idp?: FakeIdp } = {}): Promise<Seeded> {
  const idp = options.idp ?? fake;
  const sandbox = sandboxFor(idp.issuer);
  idp.accessTtl = options.expired ? 1 : 600;
  idp.authTime = Math.floor(Date.now() / 1000) - (options.authAgo ?? 0);
  const result = await guard(['login'], sandbox);
  idp.accessTtl = 600;
  idp.authTime = undefined;
  expect(result.code, result.stderr).toBe(0);
  return { sandbox, before: await snapshotSession(sandbox), marker: join(sandbox.dir, 'ran') };
}

/** Exit code, one clear last line, the command not run, the session as it was. */
async function expectFailedClosed(seeded: Seeded, result: GuardResult, code: number, message: RegExp, options: { onlyLine?: boolean } = {}): Promise<void> {
  expect(result.code, result.stderr).toBe(code);
  const last = errorLine(result.stderr);
  expect(last).toMatch(/^guard: /);
  expect(last).toMatch(message);
  if (options.onlyLine !== false) expect(lines(result.stderr), result.stderr).toHaveLength(1);
  expect(result.stdout).toBe('');
  expect(existsSync(seeded.marker)).toBe(false);
  expect(await snapshotSession(seeded.sandbox)).toEqual(seeded.before);
}

const runExpired = (seeded: Seeded) => guard(['run', '--no-prompt', '--', 'touch', seeded.marker], seeded.sandbox);
const runStepUp = (seeded: Seeded) => guard(['run', '--prompt', '--tier', 'privileged', '--', 'touch', seeded.marker], seeded.sandbox);

/** A healthy answer that leaves the presented refresh token valid (a non-rotating IdP), so one seeded session serves many rows. */
const keepRefreshToken = async (x: Exchange) => x.json(200, await fake.tokenResponse());
const html500 = (x: Exchange) => x.html(500, '<!DOCTYPE html><html><body><h1>500 Internal Server Error</h1></body></html>');
const html200 = (x: Exchange) => x.html(200, '<!DOCTYPE html><html><body><p>Please sign in to the captive portal</p></body></html>');

const now = () => Math.floor(Date.now() / 1000);
const invalid = (step: string) => new RegExp(`^guard: the identity provider http://127\\.0\\.0\\.1:\\d+ sent a response that failed validation during ${step}; nothing was changed — if this persists, tell the IdP's administrators`);

/** Bad ID tokens, each with what --verbose says about it; `loginOnly`: a refresh may omit auth_time (the session keeps its own). */
const BAD_ID_TOKENS: Array<[string, () => Promise<Record<string, unknown>>, RegExp, { loginOnly?: boolean }?]> = [
  ['a bad signature', () => fake.tokenResponse({ sign: 'tampered' }), /signature does not verify against the keys the IdP publishes/],
  ['a key the JWKS does not publish', () => fake.tokenResponse({ sign: 'other-key' }), /signature does not verify/],
  ['no signature (alg none)', () => fake.tokenResponse({ sign: 'none' }), /unsigned or uses an algorithm/],
  ['another audience', () => fake.tokenResponse({ claims: { aud: 'someone-else' } }), /"aud" claim does not match \(issued for another client\)/],
  ['another issuer', () => fake.tokenResponse({ claims: { iss: 'https://evil.example' } }), /"iss" claim does not match \(issued by another issuer\)/],
  ['an expiry in the past', () => fake.tokenResponse({ claims: { exp: now() - 3600, iat: now() - 7200 } }), /the ID token has expired/],
  ['an auth_time in the future', () => fake.tokenResponse({ claims: { auth_time: now() + 3600 } }), /"auth_time" is \d+s in the future/],
  ['no auth_time (a tier uses reauth_within)', () => fake.tokenResponse({ claims: { auth_time: undefined } }), /has no "auth_time" claim/, { loginOnly: true }],
];

/*
 * Faults leave the session as it was, so one seeded session serves a whole
 * table; every row checks it is still byte for byte the same.
 */
describe('discovery faults during a refresh (refresh is not login: 69, session kept)', () => {
  let seeded: Seeded;
  beforeAll(async () => {
    seeded = await seed({ expired: true });
  });

  it.each<[string, (x: Exchange) => void, RegExp]>([
    ['slow beyond the timeout', hang, /^guard: the identity provider \S+ did not answer in time during discovery; check your network/],
    ['HTTP 500 with an HTML page', html500, /^guard: the identity provider \S+ answered HTTP 500 during discovery; it may be down or overloaded/],
    ['HTML instead of JSON', html200, /^guard: the identity provider \S+ answered with text\/html instead of JSON during discovery; check the profile's issuer URL/],
    ['a discovery document naming another issuer', (x) => x.json(200, { issuer: 'https://evil.example', token_endpoint: 'https://evil.example/token', jwks_uri: 'https://evil.example/jwks' }), /^guard: the discovery document of \S+ names another issuer; refusing/],
  ])('%s → 69', async (_name, handler, message) => {
    fake.set('discovery', handler);
    await expectFailedClosed(seeded, await runExpired(seeded), 69, message);
  });

  it('not listening → 69', async () => {
    const gone = await startFakeIdp();
    const seededGone = await seed({ expired: true, idp: gone });
    await gone.stop();
    for (const token of gone.issued) fake.issued.add(token);
    await expectFailedClosed(seededGone, await runExpired(seededGone), 69, new RegExp(`^guard: the identity provider ${gone.issuer} refused the connection during discovery; check your network`));
  });
});

describe('token endpoint faults during a refresh', () => {
  let seeded: Seeded;
  beforeAll(async () => {
    seeded = await seed({ expired: true });
  });

  it.each<[string, (x: Exchange) => void, RegExp]>([
    ['slow beyond the timeout', hang, /did not answer in time during the token refresh/],
    ['HTTP 500 with an HTML page', html500, /answered HTTP 500 during the token refresh/],
    ['HTML instead of JSON', html200, /answered with text\/html instead of JSON during the token refresh/],
    ['HTTP 503 temporarily_unavailable', (x) => x.json(503, { error: 'temporarily_unavailable' }), /answered HTTP 503 during the token refresh/],
  ])('%s → 69', async (_name, handler, message) => {
    fake.set('token', handler);
    await expectFailedClosed(seeded, await runExpired(seeded), 69, message);
  });

  it.each(BAD_ID_TOKENS.filter(([, , , flags]) => !flags?.loginOnly))('an ID token with %s → 69; --verbose names the check', async (_name, response, detail) => {
    fake.set('token', async (x) => x.json(200, await response()));
    const result = await guard(['run', '--verbose', '--no-prompt', '--', 'touch', seeded.marker], seeded.sandbox);
    expect(result.code).toBe(69);
    errorLine(result.stderr); // no stack trace, no HTML, even with --verbose
    expect(existsSync(seeded.marker)).toBe(false);
    expect(await snapshotSession(seeded.sandbox)).toEqual(seeded.before);
    const [first, second] = lines(result.stderr);
    expect(first).toMatch(invalid('the token refresh'));
    expect(second).toMatch(/^ {2}detail: /);
    expect(second).toMatch(detail);
  });

  it.each<[string, (x: Exchange) => void, RegExp]>([
    ['slow beyond the timeout', hang, /did not answer in time during the token refresh/],
    ['HTTP 500 with an HTML page', html500, /answered HTTP 500 during the token refresh/],
    ['HTML instead of JSON', html200, /answered with text\/html instead of JSON during the token refresh/],
    ['an empty key set', (x) => x.json(200, { keys: [] }), invalid('the token refresh')],
  ])('the JWKS (needed to check the ID token) %s → 69', async (_name, handler, message) => {
    fake.set('token', keepRefreshToken);
    fake.set('jwks', handler);
    await expectFailedClosed(seeded, await runExpired(seeded), 69, message);
  });

  it('a JWKS that publishes another key under the same kid → 69', async () => {
    fake.set('token', keepRefreshToken);
    fake.publishWrongKey(true);
    await expectFailedClosed(seeded, await runExpired(seeded), 69, invalid('the token refresh'));
  });

  it('a rotating IdP whose answer fails validation has consumed the refresh token: 69, then a sign-in is required (77); the command never runs', async () => {
    const rotated = await seed({ expired: true });
    fake.publishWrongKey(true); // the default token handler rotates: the presented refresh token is gone
    await expectFailedClosed(rotated, await runExpired(rotated), 69, invalid('the token refresh'));
    fake.reset();
    const next = await runExpired(rotated);
    expect(next.code).toBe(77);
    expect(errorLine(next.stderr)).toMatch(/^guard: sign-in required .*guard login/);
    expect(existsSync(rotated.marker)).toBe(false);
  });

  it('a refresh the IdP rejects (invalid_grant) ends the session and asks for a login (77)', async () => {
    const rejected = await seed({ expired: true });
    fake.liveRefreshTokens.clear();
    const result = await runExpired(rejected);
    expect(result.code).toBe(77);
    expect(errorLine(result.stderr)).toMatch(/^guard: sign-in required .*guard login/);
    expect(existsSync(rejected.marker)).toBe(false);
    expect(await snapshotSession(rejected.sandbox)).toEqual({ state: undefined, keychain: undefined });
  });
});

describe('device-flow faults during a step-up login (the old session stays as it was)', () => {
  let seeded: Seeded;
  beforeAll(async () => {
    seeded = await seed({ authAgo: 3600 });
  });

  it.each<[string, (x: Exchange) => void, RegExp]>([
    ['slow beyond the timeout', hang, /did not answer in time during the device authorization request/],
    ['HTTP 500 with HTML', html500, /answered HTTP 500 during the device authorization request/],
    ['HTML instead of JSON', html200, /answered with text\/html instead of JSON during the device authorization request/],
  ])('device authorization %s → 69', async (_name, handler, message) => {
    fake.set('device', handler);
    await expectFailedClosed(seeded, await runStepUp(seeded), 69, message);
  });

  it.each<[string, number, (x: Exchange) => void, RegExp]>([
    ['HTTP 500 with HTML', 69, html500, /answered HTTP 500 during sign-in/],
    ['access_denied (the user denied)', 77, (x) => x.json(400, { error: 'access_denied' }), /^guard: the sign-in was denied at the identity provider/],
    ['expired_token (the code expired)', 77, (x) => x.json(400, { error: 'expired_token' }), /^guard: the device code expired before it was approved; run the command again/],
    ['an unknown error (invalid_client)', 69, (x) => x.json(401, { error: 'invalid_client' }), /^guard: the identity provider rejected sign-in \(invalid_client\); if this persists, check the profile's client_id/],
  ])('token endpoint %s → %i', async (_name, code, handler, message) => {
    fake.set('token', handler);
    await expectFailedClosed(seeded, await runStepUp(seeded), code, message, { onlyLine: false });
  });

  it.each(BAD_ID_TOKENS.filter(([name]) => !/issuer|alg none|JWKS/.test(name)))('an ID token with %s → 69', async (_name, response) => {
    fake.set('token', async (x) => x.json(200, await response()));
    await expectFailedClosed(seeded, await runStepUp(seeded), 69, invalid('sign-in'), { onlyLine: false });
  });

  it('a token endpoint that never answers while the code lives → 69 (the outage, not a slow approval)', async () => {
    fake.set('device', (x) => x.json(200, { device_code: 'dc-short', user_code: 'ABCD-EFGH', verification_uri: `${fake.issuer}/device`, expires_in: 3 }));
    fake.set('token', hang);
    await expectFailedClosed(seeded, await runStepUp(seeded), 69, /did not answer in time during sign-in/, { onlyLine: false });
  });

  it('a poll that fails on the network is sent again: a blip does not end the sign-in', async () => {
    const blipped = await seed({ authAgo: 3600 });
    let polls = 0;
    fake.set('token', async (x) => {
      if (x.request.form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:device_code') return x.json(400, { error: 'invalid_grant' });
      polls += 1;
      if (polls === 1) return x.hang(); // the first poll times out (GUARD_HTTP_TIMEOUT: 1 s)
      x.json(200, await fake.tokenResponse());
    });
    const result = await runGuard(['run', '--prompt', '--tier', 'privileged', '--', 'touch', blipped.marker], { ...blipped.sandbox.env, GUARD_HTTP_TIMEOUT: '1' });
    outputs.push(result.stdout, result.stderr);
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(blipped.marker)).toBe(true);
    expect(polls).toBe(2);
    expect(result.stderr).toMatch(/^guard: the identity provider \S+ did not answer in time during sign-in; trying again while the code is valid$/m);
  });

  it('a device code that expires (expires_in) while the IdP says authorization_pending → 77', async () => {
    fake.set('device', (x) => x.json(200, { device_code: 'dc-short', user_code: 'ABCD-EFGH', verification_uri: `${fake.issuer}/device`, expires_in: 2 }));
    fake.set('token', (x) => x.json(400, { error: 'authorization_pending' }));
    await expectFailedClosed(seeded, await runStepUp(seeded), 77, /^guard: the device code expired before it was approved/, { onlyLine: false });
  });

  it('backs off by 5 s on slow_down (RFC 8628 §3.5), then signs in and runs the command', async () => {
    const seeded = await seed({ authAgo: 3600 });
    const answers = ['authorization_pending', 'authorization_pending', 'slow_down'];
    fake.set('token', async (x) => {
      const next = answers.shift();
      if (next) x.json(400, { error: next });
      else x.json(200, await fake.tokenResponse());
    });
    const from = fake.requests.length;
    const result = await runStepUp(seeded);
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(seeded.marker)).toBe(true);
    const polls = fake.requests.slice(from).filter((r) => r.endpoint === 'token' && r.form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:device_code').map((r) => r.at);
    expect(polls).toHaveLength(4);
    const gaps = polls.slice(1).map((at, i) => at - polls[i]!);
    // Base interval 0.2 s (GUARD_POLL_INTERVAL); after slow_down 0.2 + 5 s. Lower bounds only: load can only lengthen gaps.
    expect(gaps[2]).toBeGreaterThanOrEqual(5_150);
    expect(Math.min(gaps[0]!, gaps[1]!)).toBeGreaterThanOrEqual(150);
    expect(gaps[2]!).toBeGreaterThan(Math.max(gaps[0]!, gaps[1]!));
  });
});

describe('guard login at a wrong issuer URL', () => {
  it('an issuer that answers 404 → 69, and the line says to check the issuer URL (not "down or overloaded")', async () => {
    fake.set('discovery', (x) => x.html(404, '<html><body>Not Found</body></html>'));
    const sandbox = sandboxFor(fake.issuer);
    const result = await guard(['login'], sandbox);
    expect(result.code).toBe(69);
    expect(lines(result.stderr)).toEqual([
      `guard: the identity provider ${fake.issuer} answered HTTP 404 during discovery; check the profile's issuer URL (it should serve ${fake.issuer}/.well-known/openid-configuration)`,
    ]);
  });
});

describe('the real provider', () => {
  let idp: Idp;
  beforeAll(async () => {
    idp = await startIdp();
  });
  afterAll(async () => {
    await idp?.stop();
  });

  it('refuses a discovery document whose issuer differs from the configured one (localhost vs 127.0.0.1) → 69', async () => {
    const sandbox = sandboxFor(idp.issuer.replace('127.0.0.1', 'localhost'));
    const result = await guard(['login'], sandbox);
    expect(result.code).toBe(69);
    expect(lines(result.stderr)).toEqual([expect.stringMatching(/^guard: the discovery document of http:\/\/localhost:\d+ names another issuer; refusing to sign in/)]);
    expect(await snapshotSession(sandbox)).toEqual({ state: undefined, keychain: undefined });
  });
});
