/**
 * Token lifecycle without races (issue 4): parallel refreshes on one
 * rotating refresh token, scoped (RFC 8707) tokens for one invocation,
 * child environment hygiene, and secrets that never leave the keychain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startIdp, type Idp } from '../support/idp.ts';
import { collect, configFor, createSandbox, GUARD_BIN, login, runGuard, startGuard, type GuardResult, type Sandbox } from '../support/guard.ts';
import { backdateSession } from '../support/state-file.ts';
import { readKeychain, userinfoAccepts } from '../support/keychain.ts';
import { spawn } from 'node:child_process';
import { useServer } from '../support/use-server.ts';

const API = 'https://api.example.test';
const idp = useServer(() => startIdp({ accessTtl: 3, resources: [API] }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function timed(args: string[], env: NodeJS.ProcessEnv): Promise<GuardResult & { ms: number }> {
  const started = Date.now();
  const result = await collect(startGuard(args, env));
  return { ...result, ms: Date.now() - started };
}

describe('parallel refreshes never burn the rotating refresh token', () => {
  // Long-lived access tokens at the IdP, expired for guard by hand: every token
  // handed out can then be checked at the IdP however slow the machine is.
  let raceIdp: Idp;
  let sandbox: Sandbox;
  const expireForGuard = () => {
    const file = join(sandbox.stateDir, 'sessions', `${sandbox.profile}.json`);
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), access_expires_at: Date.now() - 1_000 }));
  };
  const refreshes = () =>
    readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'refresh').length;
  beforeAll(async () => {
    raceIdp = await startIdp();
    sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, raceIdp.issuer));
    await login(sandbox);
  });
  afterAll(async () => {
    await runGuard(['logout'], sandbox.env);
    await raceIdp?.stop();
  });

  it.each([8, 32])('%i parallel guard token / guard run right after expiry all succeed', async (n) => {
    expireForGuard();
    const before = await readKeychain(sandbox.profile);
    const refreshesBefore = refreshes();
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => timed(i % 2 === 0 ? ['token', '--no-prompt'] : ['run', '--no-prompt', '--', 'true'], sandbox.env)),
    );
    const failures = results.filter((r) => r.code !== 0);
    expect(failures.map((r) => r.stderr)).toEqual([]);
    const tokens = results.filter((r) => r.stdout).map((r) => r.stdout.trim());
    expect(tokens).toHaveLength(n / 2);
    for (const token of new Set(tokens)) expect(await userinfoAccepts(raceIdp.issuer, token)).toBe(true);
    const after = await readKeychain(sandbox.profile);
    expect(after!.refresh_token).not.toBe(before!.refresh_token);
    // Exactly one process refreshed; the others waited for its lock and reused its tokens.
    expect(refreshes() - refreshesBefore).toBe(1);
    console.log(`${n} parallel: ${failures.length} failures, ${new Set(tokens).size} distinct tokens, slowest ${Math.max(...results.map((r) => r.ms))} ms`);

    // The grant survives: at the next expiry, a refresh with the stored token works.
    expireForGuard();
    const next = await runGuard(['token', '--no-prompt'], sandbox.env);
    expect(next.code).toBe(0);
    expect(await userinfoAccepts(raceIdp.issuer, next.stdout.trim())).toBe(true);
  });
});

describe('scoped tokens (RFC 8707 resource)', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = createSandbox();
    sandbox.writeConfig(
      configFor(sandbox, idp.issuer, {
        scopes: ['openid', 'offline_access', 'api:read'],
        profileExtra: `    resources: [${API}]`,
        commands: [
          '  api call:',
          '    run: ["sh", "-c", "printf %s \\"$API_TOKEN\\""]',
          `    resource: ${API}`,
          '    env: { API_TOKEN: "{access_token}" }',
          '  api other:',
          '    run: ["true"]',
          '    resource: https://other.example.test',
          '    env: { API_TOKEN: "{access_token}" }',
          '  api write:',
          '    run: ["true"]',
          '    scope: api:write',
          '    env: { API_TOKEN: "{access_token}" }',
        ].join('\n'),
      }),
    );
    await login(sandbox);
  });
  afterAll(async () => {
    await runGuard(['logout'], sandbox.env);
  });

  it('injects a token narrowed to the resource for one invocation, and never stores it', async () => {
    const result = await runGuard(['api', 'call'], sandbox.env);
    expect(result.code).toBe(0);
    const [, payload] = result.stdout.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    expect(claims).toMatchObject({ aud: API, scope: 'api:read', sub: 'alice' });
    const stored = await readKeychain(sandbox.profile);
    expect(stored!.access_token).not.toBe(result.stdout);
    expect(JSON.stringify(stored)).not.toContain(result.stdout);
    // The session goes on with its own token (the refresh token the narrowing rotated was kept).
    const own = await runGuard(['token', '--no-prompt'], sandbox.env);
    expect(own.code).toBe(0);
    expect(await userinfoAccepts(idp.issuer, own.stdout.trim())).toBe(true);
  });

  it('refuses a resource that was not requested at login before any request (78), keeping the session', async () => {
    const before = await readKeychain(sandbox.profile);
    const result = await runGuard(['api', 'other'], sandbox.env);
    expect(result.code).toBe(78);
    expect(result.stderr).toBe(`guard: resource https://other.example.test was not requested at login by profile "${sandbox.profile}"; add it to profiles.${sandbox.profile}.resources and sign in again\n`);
    expect(await readKeychain(sandbox.profile)).toEqual(before);
  });

  it('refuses a scope that was not granted (78)', async () => {
    const result = await runGuard(['api', 'write'], sandbox.env);
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/scope api:write was not granted at login/);
  });
});

describe('child environment hygiene', () => {
  it('removes inherited token variables and never hands a parent\'s injected token to a nested guard run', async () => {
    const sandbox = createSandbox();
    const nested = `${GUARD_BIN} run -- sh -c 'echo "nested:\${SECRET_TOKEN:-unset}:\${GUARD_ACCESS_TOKEN:-unset}:$GUARD_SESSION"'`;
    sandbox.writeConfig(
      configFor(sandbox, idp.issuer, {
        commands: ['  outer:', `    run: ["sh", "-c", ${JSON.stringify(`echo "outer:\${#SECRET_TOKEN}"; ${nested}`)}]`, '    env: { SECRET_TOKEN: "{access_token}" }'].join('\n'),
      }),
    );
    await login(sandbox);
    const result = await runGuard(['outer'], { ...sandbox.env, GUARD_ACCESS_TOKEN: 'inherited-secret' });
    expect(result.code).toBe(0);
    const [outer, inner] = result.stdout.trim().split('\n');
    expect(Number(outer!.split(':')[1])).toBeGreaterThan(20);
    expect(inner).toBe(`nested:unset:unset:${sandbox.profile}`);
    await runGuard(['logout'], sandbox.env);
  });
});

describe('secrets stay in the keychain', () => {
  it('no token string appears in the state folder, the audit log, argv or any output of a whole session', async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, idp.issuer));
    const outputs: string[] = [];
    const seen = new Set<string>();
    const remember = async () => {
      const tokens = await readKeychain(sandbox.profile);
      for (const value of [tokens?.access_token, tokens?.refresh_token, tokens?.id_token]) if (value) seen.add(value);
    };
    const keep = (r: GuardResult) => outputs.push(r.stdout, r.stderr);
    keep(await login(sandbox));
    await remember();
    // The wrapped command's argv (visible to every local user in /proc) and its environment carry no
    // token when the config injects none: the command itself records both, as the kernel shows them.
    const seenByChild = join(sandbox.dir, 'child');
    keep(await runGuard(['run', '--verbose', '--', 'sh', '-c', `cat /proc/$$/cmdline > ${seenByChild}.argv; cat /proc/$$/environ > ${seenByChild}.env`], sandbox.env));
    const childArgv = readFileSync(`${seenByChild}.argv`, 'utf8');
    const childEnv = readFileSync(`${seenByChild}.env`, 'utf8');
    expect(childArgv.split('\0')).toContain('-c');
    expect(childEnv.split('\0')).toContain(`GUARD_SESSION=${sandbox.profile}`);
    keep(await runGuard(['status', '--json', '--verbose'], sandbox.env));
    await sleep(3_100);
    keep(await runGuard(['run', '--verbose', '--', 'true'], sandbox.env)); // a refresh
    await remember();
    keep(await runGuard(['explain', '--verbose', '--', 'true'], sandbox.env));
    keep(await runGuard(['logout', '--verbose'], sandbox.env));
    expect(seen.size).toBeGreaterThanOrEqual(5);
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
    const written = walk(sandbox.stateDir).filter((f) => statSync(f).isFile()).map((f) => readFileSync(f, 'utf8'));
    for (const secret of seen) {
      for (const text of [...written, ...outputs, childArgv, childEnv]) expect(text.includes(secret)).toBe(false);
    }
  });
});

describe('explicit keychain store', () => {
  it('keeps a keyutils profile\'s tokens in the kernel keyring, never in the Secret Service, and status says so', async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, idp.issuer, { profileExtra: '    store: keyutils' }));
    // One named session keyring shared by the guard processes of this test.
    const keyring = `guard-test-${process.pid}`;
    const inKeyring = (args: string[]) => spawn('keyctl', ['session', keyring, GUARD_BIN, ...args], { env: sandbox.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const { approveDevice, findVerificationUrl } = await import('../../scripts/lib/approve.mjs' as string);
    const loginChild = inKeyring(['login']);
    let approval: Promise<unknown> | undefined;
    const signedIn = await collect(loginChild, (stderr) => {
      const url = !approval && findVerificationUrl(stderr);
      if (url) approval = approveDevice(url);
    });
    await approval;
    expect(signedIn.code).toBe(0);
    expect(await readKeychain(sandbox.profile)).toBeUndefined();
    const status = await collect(inKeyring(['status', '--json']));
    expect(JSON.parse(status.stdout)).toMatchObject({ store: 'keyutils', logged_in: true });
    const token = await collect(inKeyring(['token']));
    expect(token.code).toBe(0);
    expect(await userinfoAccepts(idp.issuer, token.stdout.trim())).toBe(true);
    expect((await collect(inKeyring(['logout']))).code).toBe(0);
  });
});

describe('IdP-driven limits', () => {
  it('a claim in the ID token tightens every tier for that user', async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(
      configFor(sandbox, idp.issuer, {
        scopes: ['openid', 'offline_access', 'guard'],
        tiers: '  standard: { idle: 45m, max_session: 12h }',
        extra: 'claims: { idle: guard_idle, max_session: guard_max_session }',
      }),
    );
    await login(sandbox, { login: 'carol+idle=10m' });
    const status = JSON.parse((await runGuard(['status', '--json'], sandbox.env)).stdout);
    expect(status.idp_limits).toEqual({ idle_ms: 600_000, max_session_ms: null });
    // This IdP's access tokens live 3 s: on a slow machine the answer may already be "refresh, then run".
    expect(status.tiers[0]).toMatchObject({ tier: 'standard', next_clock: 'idle' });
    expect(['allow', 'refresh']).toContain(status.tiers[0].decision);
    expect(status.tiers[0].next_in_ms).toBeLessThanOrEqual(600_000);
    expect((await runGuard(['run', '--no-prompt', '--', 'true'], sandbox.env)).code).toBe(0);
    // 11 minutes idle: past the IdP's 10m, well inside the tier's own 45m.
    backdateSession(sandbox, { last_activity: 11 * 60_000 });
    const denied = await runGuard(['run', '--no-prompt', '--', 'true'], sandbox.env);
    expect(denied.code).toBe(77);
    // Past the IdP's idle limit the whole session is dead: ended and revoked.
    expect(await readKeychain(sandbox.profile)).toBeUndefined();
  });
});
