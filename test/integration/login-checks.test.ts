/**
 * What a device-flow login checks at the IdP of the test's own
 * (test/support/fake-idp.ts): it polls at the IdP's `interval` (RFC 8628
 * §3.2, §3.4), it stores nothing unless the ID token validates (OIDC Core
 * §3.1.3.7: signature by a published key, `iss`, `aud`), and a revocation
 * endpoint that hangs never holds up a logout or the end of a dead session.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { configFor, createSandbox, runGuard, type GuardResult, type Sandbox } from '../support/guard.ts';
import { hang, startFakeIdp, type IdTokenOptions } from '../support/fake-idp.ts';
import { errorLine, lines, snapshotSession } from '../support/session-snapshot.ts';
import { backdateSession } from '../support/state-file.ts';
import { checkSecretsAfterAll } from '../support/hygiene.ts';
import { useServer } from '../support/use-server.ts';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

const fake = useServer(() => startFakeIdp());
// Secret hygiene: nothing the fake IdP issued may appear in a file guard wrote or in anything it printed.
const { folders, outputs } = checkSecretsAfterAll(() => fake.issued);

afterEach(() => fake.reset());

function sandboxFor(env: Record<string, string> = {}): Sandbox {
  const sandbox = createSandbox();
  // A timeout a loaded machine can meet; where the IdP hangs, 1 s (see guard()).
  Object.assign(sandbox.env, { GUARD_HTTP_TIMEOUT: '10' }, env);
  sandbox.writeConfig(configFor(sandbox, fake.issuer, { tiers: '  standard: { idle: 45m, max_session: 12h }' }));
  folders.push(sandbox.dir);
  return sandbox;
}

async function guard(args: string[], sandbox: Sandbox): Promise<GuardResult> {
  const result = await runGuard(args, fake.hanging() ? { ...sandbox.env, GUARD_HTTP_TIMEOUT: '1' } : sandbox.env);
  outputs.push(result.stdout, result.stderr);
  return result;
}

const devicePolls = (from: number) =>
  fake.requests.slice(from).filter((r) => r.endpoint === 'token' && r.form.get('grant_type') === DEVICE_GRANT).map((r) => r.at);

describe('polling', () => {
  it('polls at the interval the IdP names (1 s), not at guard\'s own default (0.2 s here)', async () => {
    const sandbox = sandboxFor({ GUARD_POLL_INTERVAL: '0.2' });
    fake.set('device', (x) =>
      x.json(200, { device_code: 'dc-interval', user_code: 'WDJB-MJHT', verification_uri: `${fake.issuer}/device`, expires_in: 600, interval: 1 }),
    );
    const answers = ['authorization_pending', 'authorization_pending'];
    fake.set('token', async (x) => {
      const next = answers.shift();
      if (next) x.json(400, { error: next });
      else x.json(200, await fake.tokenResponse());
    });
    const from = fake.requests.length;
    const result = await guard(['login'], sandbox);
    expect(result.code, result.stderr).toBe(0);
    const polls = devicePolls(from);
    expect(polls).toHaveLength(3);
    // Lower bounds only (load can only lengthen a gap); at 0.2 s both gaps would be ~200 ms.
    for (const [i, at] of polls.slice(1).entries()) expect(at - polls[i]!).toBeGreaterThanOrEqual(950);
    await guard(['logout'], sandbox);
  });
});

describe('the ID token of a device-flow login is validated before anything is stored', () => {
  it.each<[string, IdTokenOptions, RegExp]>([
    ['a bad signature', { sign: 'tampered' }, /signature does not verify/],
    ['a key the JWKS does not publish (unknown kid)', { sign: 'unknown-kid' }, /failed validation/],
    ['another key under the published kid', { sign: 'other-key' }, /signature does not verify/],
    ['no signature (alg none)', { sign: 'none' }, /unsigned or uses an algorithm/],
    ['another issuer', { claims: { iss: 'https://evil.example' } }, /"iss" claim does not match/],
    ['another audience', { claims: { aud: 'someone-else' } }, /"aud" claim does not match/],
  ])('%s → 69, one line, nothing stored', async (_name, idToken, detail) => {
    const sandbox = sandboxFor();
    fake.set('token', async (x) => x.json(200, await fake.tokenResponse(idToken)));
    const result = await guard(['login'], sandbox);
    expect(result.code, result.stderr).toBe(69);
    expect(errorLine(result.stderr)).toMatch(/^guard: the identity provider http:\/\/127\.0\.0\.1:\d+ sent a response that failed validation during sign-in; nothing was changed/);
    expect(result.stdout).toBe('');
    expect(await snapshotSession(sandbox)).toEqual({ state: undefined, keychain: undefined });
    // --verbose names the failed check (and still prints no stack trace).
    const verbose = await guard(['login', '--verbose'], sandbox);
    expect(verbose.code).toBe(69);
    expect(lines(verbose.stderr).find((line) => /^ {2}detail: /.test(line))).toMatch(detail);
    expect(await snapshotSession(sandbox)).toEqual({ state: undefined, keychain: undefined });
  });

  it('the same IdP with a valid ID token signs in (the checks above fail for the token, not the set-up)', async () => {
    const sandbox = sandboxFor();
    const result = await guard(['login'], sandbox);
    expect(result.code, result.stderr).toBe(0);
    expect((await snapshotSession(sandbox)).keychain).toBeDefined();
    await guard(['logout'], sandbox);
  });
});

describe('a revocation endpoint that hangs', () => {
  it('does not hold up logout: the local session ends, and it says the token could not be revoked', async () => {
    const sandbox = sandboxFor();
    expect((await guard(['login'], sandbox)).code).toBe(0);
    fake.set('revoke', hang);
    const started = Date.now();
    const result = await guard(['logout'], sandbox);
    const took = Date.now() - started;
    expect(result.code, result.stderr).toBe(0);
    expect(fake.requests.some((r) => r.endpoint === 'revoke')).toBe(true);
    expect(result.stderr).toMatch(/could not revoke the refresh token/);
    expect(result.stderr).toMatch(/did not answer in time/);
    expect(await snapshotSession(sandbox)).toEqual({ state: undefined, keychain: undefined });
    expect(took).toBeLessThan(10_000); // GUARD_HTTP_TIMEOUT is 1 s (generous: not a benchmark)
  });

  it('does not hold up the end of a dead session: 77, the command not run, the session gone', async () => {
    const sandbox = sandboxFor();
    expect((await guard(['login'], sandbox)).code).toBe(0);
    backdateSession(sandbox, { last_activity: 2 * 3_600_000 }); // past the loosest tier's 45m: the session is dead
    fake.set('revoke', hang);
    const marker = join(sandbox.dir, 'ran');
    const from = fake.requests.length;
    const result = await guard(['run', '--no-prompt', '--', 'touch', marker], sandbox);
    expect(result.code, result.stderr).toBe(77);
    expect(existsSync(marker)).toBe(false);
    expect(fake.requests.slice(from).some((r) => r.endpoint === 'revoke')).toBe(true);
    expect(await snapshotSession(sandbox)).toEqual({ state: undefined, keychain: undefined });
  });
});
