/**
 * The central signed policy end to end (issue 9): bin/guard as a process
 * fetching a JWS over real HTTPS (a private CA trusted through
 * NODE_EXTRA_CA_CERTS) from a server that counts its requests. No IdP is
 * needed: `explain` shows which policy applies, and `run --no-prompt` shows
 * whether a command fails closed (69) or gets as far as asking for a
 * session (77).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompactSign, exportJWK, generateKeyPair, base64url, type CryptoKey, type JWK } from 'jose';
import { configFor, createSandbox, runGuard, type Sandbox } from '../support/guard.ts';
import { createTestCa, startPolicyServer, type PolicyServer, type TestCa } from '../support/https-server.ts';

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

let ca: TestCa;
let key: SigningKey;
let otherKey: SigningKey;
const servers: PolicyServer[] = [];

async function makeKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

beforeAll(async () => {
  ca = createTestCa();
  [key, otherKey] = await Promise.all([makeKey('k1'), makeKey('k2')]);
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nowS = () => Math.floor(Date.now() / 1000);
const PROD = ['kubectl', 'get', 'pods', '--context=prod-eu'];

/** The organisation's policy: prod kube is privileged; `idle` of that tier marks the version under test. */
function centralPolicy(privilegedIdle: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 1,
    tiers: {
      privileged: { idle: privilegedIdle, max_session: '8h', reauth_within: '10m' },
      standard: { idle: '45m', max_session: '12h' },
    },
    default_tier: 'standard',
    rules: [{ name: 'prod-kube', match: 'kubectl ** --context=prod*', tier: 'privileged' }],
    ...extra,
  };
}

async function sign(payload: Record<string, unknown>, options: { iat?: number; exp?: number; by?: SigningKey; kid?: string } = {}): Promise<string> {
  const iat = options.iat ?? nowS();
  const by = options.by ?? key;
  const body = new TextEncoder().encode(JSON.stringify({ ...payload, iat, exp: options.exp ?? iat + 3600 }));
  return new CompactSign(body).setProtectedHeader({ alg: 'ES256', kid: options.kid ?? by.kid }).sign(by.privateKey);
}

async function serve(document: string): Promise<PolicyServer> {
  const server = await startPolicyServer(ca);
  servers.push(server);
  server.setDocument(document);
  return server;
}

interface CentralOptions {
  refresh?: string;
  maxStale?: string;
  jwks?: boolean;
  /** Extra YAML for the user config (tiers:, rules: …). */
  tiers?: string;
  rules?: string;
}

/** A sandbox whose system policy points at `server`, trusting the test CA. */
function centralSandbox(server: PolicyServer, options: CentralOptions = {}): Sandbox {
  const sandbox = createSandbox();
  sandbox.writeConfig(configFor(sandbox, 'https://idp.example.invalid', { ...(options.tiers ? { tiers: options.tiers } : {}), ...(options.rules ? { rules: options.rules } : {}) }));
  const system = [
    'version: 1',
    `policy_url: ${server.url}`,
    options.jwks ? `policy_jwks_url: ${server.jwksUrl}` : `policy_keys: ${JSON.stringify([key.jwk])}`,
    `policy_refresh: ${options.refresh ?? '1s'}`,
    `policy_max_stale: ${options.maxStale ?? '1h'}`,
    '',
  ].join('\n');
  writeFileSync(sandbox.env.GUARD_SYSTEM_POLICY!, system);
  sandbox.env.NODE_EXTRA_CA_CERTS = ca.caFile;
  return sandbox;
}

async function explainProd(sandbox: Sandbox): Promise<{ tier: string; limits: { idle: string }; rules: Array<Record<string, unknown>>; stderr: string }> {
  const result = await runGuard(['explain', '--json', '--', ...PROD], sandbox.env);
  expect(result.code, result.stderr).toBe(0);
  return { ...JSON.parse(result.stdout), stderr: result.stderr };
}

const auditEvents = (sandbox: Sandbox) =>
  existsSync(join(sandbox.stateDir, 'audit.jsonl'))
    ? readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
    : [];

/** Moves the last policy check back by `ms`, as if that much time had passed since it. */
function backdateCheck(sandbox: Sandbox, ms: number): void {
  const dir = join(sandbox.stateDir, 'policy');
  const file = join(dir, readdirSync(dir).find((name) => name.endsWith('.json'))!);
  const cache = JSON.parse(readFileSync(file, 'utf8'));
  cache.checked_at -= ms;
  writeFileSync(file, JSON.stringify(cache));
}

async function policyStatus(sandbox: Sandbox): Promise<Record<string, any>> {
  const result = await runGuard(['policy', 'status', '--json'], sandbox.env);
  return { code: result.code, ...JSON.parse(result.stdout) };
}

describe('fetching and refreshing', () => {
  it('applies the signed policy, confirms it with 304s, and applies a change after the refresh window', async () => {
    const iat = nowS();
    const server = await serve(await sign(centralPolicy('15m'), { iat }));
    const sandbox = centralSandbox(server, { refresh: '1h' });

    const first = await explainProd(sandbox);
    expect(first).toMatchObject({ tier: 'privileged', limits: { idle: '15m' }, stderr: '' });
    expect(first.rules).toEqual([expect.objectContaining({ name: 'prod-kube', layer: 'system', file: `policy:${server.url}` })]);
    expect(server.policyRequests()).toEqual([{ path: '/policy.jws', status: 200 }]);

    // The cache is a state file like the others: nothing for group or others.
    const policyDir = join(sandbox.stateDir, 'policy');
    expect(statSync(policyDir).mode & 0o777).toBe(0o700);
    const cacheFile = (await import('node:fs')).readdirSync(policyDir).find((name) => name.endsWith('.json'))!;
    expect(statSync(join(policyDir, cacheFile)).mode & 0o777).toBe(0o600);

    // Inside the refresh window guard does not ask.
    expect((await explainProd(sandbox)).limits.idle).toBe('15m');
    expect(server.policyRequests()).toHaveLength(1);

    // Unchanged after the refresh window: If-None-Match with the ETag, 304, and the copy's age starts again.
    backdateCheck(sandbox, 2 * 3_600_000);
    const before304 = Date.now();
    expect((await explainProd(sandbox)).limits.idle).toBe('15m');
    expect(server.policyRequests()[1]).toMatchObject({ status: 304, ifNoneMatch: expect.stringMatching(/^".+"$/) });
    const status = await policyStatus(sandbox);
    expect(status).toMatchObject({ code: 0, current: true, iat, signer: { kid: 'k1', alg: 'ES256' }, last_check: { outcome: 'not_modified' } });
    expect(Date.parse(status.fetched_at)).toBeGreaterThanOrEqual(before304); // the copy's age counts from the 304

    // A new version is published. Inside the refresh window guard does not ask, so it still follows the cached copy…
    server.setDocument(await sign(centralPolicy('10m'), { iat: iat + 1 }));
    const requestsBefore = server.policyRequests().length;
    expect((await explainProd(sandbox)).limits.idle).toBe('15m');
    expect(server.policyRequests()).toHaveLength(requestsBefore);
    // …and applies the change at the first check after the window.
    backdateCheck(sandbox, 2 * 3_600_000);
    expect((await explainProd(sandbox)).limits.idle).toBe('10m');
    expect(server.policyRequests().slice(requestsBefore)).toEqual([expect.objectContaining({ status: 200 })]);
    expect(await policyStatus(sandbox)).toMatchObject({ iat: iat + 1, last_check: { outcome: 'updated' } });
  });

  it('lets 20 parallel invocations trigger one fetch, both with no copy and with a copy due for a check', async () => {
    const server = await serve(await sign(centralPolicy('15m')));
    const sandbox = centralSandbox(server, { refresh: '1h' });
    const wave = () => Promise.all(Array.from({ length: 20 }, () => explainProd(sandbox)));

    for (const result of await wave()) expect(result).toMatchObject({ tier: 'privileged', stderr: '' });
    expect(server.policyRequests()).toHaveLength(1);

    // Make the check due by moving the last check back two hours, as if time had passed. Each wave
    // sends at most one request; on a very loaded machine the one check may hit the 2 s cap before
    // the server sees it (that wave then sends none), so a wave is tried up to three times.
    let sent: number[] = [];
    for (let wavesTried = 0; wavesTried < 3 && sent.length === 0; wavesTried++) {
      const before = server.policyRequests().length;
      backdateCheck(sandbox, 2 * 3_600_000);
      for (const result of await wave()) expect(result.tier).toBe('privileged');
      sent = server.policyRequests().slice(before).map((r) => r.status);
      expect(sent.length).toBeLessThanOrEqual(1);
    }
    expect(sent).toEqual([304]);
  }, 180_000); // up to 80 guard processes: slow on a loaded 2-core machine, never timed
});

describe('when the server is down', () => {
  it('keeps using a copy younger than policy_max_stale, without a word', async () => {
    const server = await serve(await sign(centralPolicy('15m')));
    const sandbox = centralSandbox(server, { refresh: '1s', maxStale: '1h' });
    await explainProd(sandbox);
    await server.stop();
    await sleep(1_100);
    const ran = await runGuard(['run', '--no-prompt', '--', ...PROD], sandbox.env);
    expect(ran.code).toBe(77); // past the policy check: only the missing session stops it
    expect(ran.stderr).toMatch(/^guard: sign-in required[^\n]*\n$/);
    expect(await explainProd(sandbox)).toMatchObject({ tier: 'privileged', stderr: '' });
    expect(await policyStatus(sandbox)).toMatchObject({ code: 0, current: true, last_check: { outcome: 'failed', problem: 'connection refused' } });
  });

  it('fails privileged commands closed (69) once the copy is older than policy_max_stale; the rest follow it with a warning', async () => {
    const server = await serve(await sign(centralPolicy('15m')));
    const sandbox = centralSandbox(server, { refresh: '1s', maxStale: '2s' });
    await explainProd(sandbox);
    await server.stop();
    await sleep(2_200);

    const privileged = await runGuard(['run', '--no-prompt', '--', ...PROD], sandbox.env);
    expect(privileged.code).toBe(69);
    expect(privileged.stderr.trim().split('\n')).toHaveLength(1);
    expect(privileged.stderr).toMatch(new RegExp(`^guard: "kubectl" is privileged and the central policy ${server.url.replace(/\./g, '\\.')} is not current \\(the cached copy is \\d+s old, older than policy_max_stale \\(2s\\)`));
    expect(privileged.stderr).toContain('guard policy pull');
    expect(auditEvents(sandbox).at(-1)).toMatchObject({ event: 'denied', tier: 'privileged', rules: ['prod-kube'], reason: 'policy_unavailable' });

    const standard = await runGuard(['run', '--no-prompt', '--', 'true'], sandbox.env);
    expect(standard.code).toBe(77);
    expect(standard.stderr).toContain(`guard: warning: the central policy ${server.url} is not current`);
    expect(standard.stderr).toContain('following the cached copy');
    expect((await explainProd(sandbox)).tier).toBe('privileged'); // the cached rules still apply
    expect((await policyStatus(sandbox)).code).toBe(69);

    await server.start();
    expect((await runGuard(['policy', 'pull'], sandbox.env)).code).toBe(0);
    const again = await runGuard(['run', '--no-prompt', '--', ...PROD], sandbox.env);
    expect(again.code).toBe(77);
    expect(again.stderr).not.toContain('central policy');
  });

  it('with no copy ever received: every wrapped command fails closed (69), guard\'s own commands keep working', async () => {
    const server = await serve(await sign(centralPolicy('15m')));
    await server.stop();
    const sandbox = centralSandbox(server, {
      tiers: '  standard: { idle: 45m, max_session: 12h }\n  careful: { idle: 45m, max_session: 12h, confirm: true }',
      rules: '  - name: local-psql\n    match: "psql **"\n    tier: careful',
    });
    const refusal = /^guard: no valid copy of the central policy \S+ has been received yet \(last check: connection refused\); not running "(psql|true)" — check the network or the policy server, then run: guard policy pull$/;
    const careful = await runGuard(['run', '--no-prompt', '--', 'psql', 'prod'], sandbox.env);
    expect(careful.code).toBe(69);
    expect(careful.stderr.trim()).toMatch(refusal);
    // A command only the central rules might guard: unplugging the network at first install must not unguard it.
    const standard = await runGuard(['run', '--no-prompt', '--', 'true'], sandbox.env);
    expect(standard.code).toBe(69);
    expect(standard.stderr.trim()).toMatch(refusal);
    expect(auditEvents(sandbox).at(-1)).toMatchObject({ event: 'denied', command: 'true', reason: 'policy_unavailable' });
    // A token is a credential for tools that never pass through guard: the same holds.
    const token = await runGuard(['token', '--no-prompt'], sandbox.env);
    expect(token.code).toBe(69);
    expect(token.stdout).toBe('');
    const explained = await runGuard(['explain', '--', 'true'], sandbox.env);
    expect(explained.code).toBe(0);
    expect(explained.stderr).toContain('following the local configuration only, and wrapped commands are refused');
    expect((await runGuard(['config', 'check'], sandbox.env)).code).toBe(0);
  });
});

describe('when the server hangs (accepts, never answers)', () => {
  // GUARD_HTTP_TIMEOUT is 30 s: a guard that waited for the server would take that long; the
  // README promises a check never holds a command up for more than 2 s.
  const slowNetwork = (sandbox: Sandbox) => ({ ...sandbox.env, GUARD_HTTP_TIMEOUT: '30' });

  it('with a copy due for a check: the command goes on with the copy, without a word, well before the HTTP timeout', async () => {
    const server = await serve(await sign(centralPolicy('15m')));
    const sandbox = centralSandbox(server, { refresh: '1h' });
    expect((await explainProd(sandbox)).limits.idle).toBe('15m');
    backdateCheck(sandbox, 2 * 3_600_000);
    server.setHang(true);
    const started = Date.now();
    const ran = await runGuard(['run', '--no-prompt', '--', ...PROD], slowNetwork(sandbox));
    const took = Date.now() - started;
    expect(ran.code).toBe(77); // past the policy check: only the missing session stops it
    expect(ran.stderr).toMatch(/^guard: sign-in required[^\n]*\n$/);
    expect(server.policyRequests().at(-1)).toMatchObject({ status: 0 }); // it did ask, and got no answer
    expect(took).toBeLessThan(15_000); // generous: not a benchmark, but far below the 30 s timeout
    expect((await explainProd(sandbox)).tier).toBe('privileged');
  });

  it('with no copy at all: a wrapped command fails closed (69, naming the policy and the hang), well before the HTTP timeout', async () => {
    const server = await serve(await sign(centralPolicy('15m')));
    server.setHang(true);
    const sandbox = centralSandbox(server, {
      tiers: '  standard: { idle: 45m, max_session: 12h }\n  careful: { idle: 45m, max_session: 12h, confirm: true }',
      rules: '  - name: local-psql\n    match: "psql **"\n    tier: careful',
    });
    const started = Date.now();
    const careful = await runGuard(['run', '--no-prompt', '--', 'psql', 'prod'], slowNetwork(sandbox));
    const took = Date.now() - started;
    expect(careful.code).toBe(69);
    expect(careful.stderr.trim().split('\n')).toHaveLength(1);
    expect(careful.stderr).toMatch(/^guard: no valid copy of the central policy \S+ has been received yet \(last check: no answer within \d+s\); not running "psql" .*guard policy pull$/m);
    expect(server.policyRequests()).toEqual([expect.objectContaining({ status: 0 })]);
    expect(took).toBeLessThan(15_000);
  });
});

describe('documents guard must not use', () => {
  let server: PolicyServer;
  let sandbox: Sandbox;
  let iat: number;
  beforeAll(async () => {
    iat = nowS() - 60;
    server = await serve(await sign(centralPolicy('15m'), { iat }));
    sandbox = centralSandbox(server, { refresh: '1s' });
    expect((await explainProd(sandbox)).limits.idle).toBe('15m');
  });

  const tamper = async () => {
    const [header, , signature] = (await sign(centralPolicy('1m'), { iat: iat + 5 })).split('.');
    return `${header}.${base64url.encode(JSON.stringify({ ...centralPolicy('2m'), iat: iat + 5, exp: iat + 3600 }))}.${signature}`;
  };
  const cases: Array<[string, () => Promise<string>, RegExp]> = [
    ['a tampered payload', tamper, /bad signature/],
    ['a signature by another key under the trusted kid', () => sign(centralPolicy('1m'), { iat: iat + 5, by: otherKey, kid: 'k1' }), /bad signature/],
    ['a key that is not in the key set', () => sign(centralPolicy('1m'), { iat: iat + 5, by: otherKey }), /not in the key set \(kid "k2"\)/],
    ['alg: none', async () => `${base64url.encode('{"alg":"none"}')}.${base64url.encode(JSON.stringify({ ...centralPolicy('1m'), iat: iat + 5, exp: iat + 3600 }))}.`, /unsigned \(alg none\)/],
    ['an unsigned JSON document', async () => JSON.stringify({ ...centralPolicy('1m'), iat: iat + 5, exp: iat + 3600 }), /not a compact JWS/],
    ['an expired document', () => sign(centralPolicy('1m'), { iat: iat + 5, exp: nowS() - 10 }), /expired at/],
    ['an older version (rollback)', () => sign(centralPolicy('1m'), { iat: iat - 3600, exp: nowS() + 3600 }), /rollback/],
    ['a payload that is not a valid system layer', () => sign(centralPolicy('1m', { bogus: true }), { iat: iat + 5 }), /not a valid system layer: .*unknown key "bogus"/],
    ['a payload that moves the policy elsewhere', () => sign(centralPolicy('1m', { policy_url: 'https://evil.example/p.jws' }), { iat: iat + 5 }), /sets policy_url/],
  ];

  it.each(cases)('rejects %s, keeps the cached copy and logs policy_rejected', async (_name, make, reason) => {
    server.setDocument(await make());
    const pulled = await runGuard(['policy', 'pull'], sandbox.env);
    expect(pulled.code).toBe(69);
    expect(pulled.stderr.trim().split('\n')).toHaveLength(1);
    expect(pulled.stderr).toMatch(reason);
    expect(pulled.stderr).toContain('the cached copy (version');
    expect(auditEvents(sandbox).at(-1)).toMatchObject({ event: 'policy_rejected', policy: server.url, reason: expect.stringMatching(reason), kept_version: iat });
    expect(await explainProd(sandbox)).toMatchObject({ limits: { idle: '15m' } });
  });

  it('rejects a rollback found by a routine check too, with a warning, and carries on with the cached copy', async () => {
    server.setDocument(await sign(centralPolicy('1m'), { iat: iat - 10 }));
    await sleep(1_100);
    const result = await explainProd(sandbox);
    expect(result.limits.idle).toBe('15m');
    expect(result.stderr).toMatch(/^guard: warning: the central policy \S+ sent a document that was rejected: rollback: .*; keeping the cached copy \(version .*\)\n$/);
    expect(auditEvents(sandbox).at(-1)).toMatchObject({ event: 'policy_rejected', reason: expect.stringContaining('rollback') });
  });

  it('says so when the server certificate is not trusted', async () => {
    const { NODE_EXTRA_CA_CERTS: _ca, ...env } = sandbox.env;
    const pulled = await runGuard(['policy', 'pull'], env);
    expect(pulled.code).toBe(69);
    expect(pulled.stderr).toMatch(/^guard: cannot fetch the central policy \S+: TLS certificate not trusted \(\w+; a private CA needs NODE_EXTRA_CA_CERTS\)/);
  });
});

describe('publishing with guard policy keygen and sign', () => {
  it('signs a YAML policy that clients verify through the published JWKS', async () => {
    const admin = createSandbox();
    const keyFile = join(admin.dir, 'policy-key.jwk');
    const keygen = await runGuard(['policy', 'keygen', keyFile], admin.env);
    expect(keygen.code).toBe(0);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const jwks = JSON.parse(keygen.stdout) as { keys: JWK[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).not.toHaveProperty('d');
    expect((await runGuard(['policy', 'keygen', keyFile], admin.env)).code).toBe(64); // never overwrites a key

    const policyFile = join(admin.dir, 'policy.yaml');
    writeFileSync(policyFile, [
      'version: 1',
      'tiers:',
      '  privileged: { idle: 20m, max_session: 8h, reauth_within: 10m }',
      '  standard: { idle: 45m, max_session: 12h }',
      'default_tier: standard',
      'rules:',
      '  - name: prod-kube',
      '    match: "kubectl ** --context=prod*"',
      '    tier: privileged',
      '',
    ].join('\n'));
    const signed = await runGuard(['policy', 'sign', '--key', keyFile, '--expires', '1d', policyFile], admin.env);
    expect(signed.code, signed.stderr).toBe(0);
    const jws = signed.stdout.trim();
    expect(jws).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);

    const server = await serve(jws);
    server.setJwks(jwks);
    const client = centralSandbox(server, { jwks: true });
    expect(await explainProd(client)).toMatchObject({ tier: 'privileged', limits: { idle: '20m' } });
    expect(server.requests.map((r) => r.path)).toEqual(['/policy.jws', '/jwks.json']);
    const status = await policyStatus(client);
    expect(status).toMatchObject({ current: true, signer: { kid: jwks.keys[0]!.kid, alg: 'ES256' } });
    expect(Date.parse(status.expires) - Date.parse(status.version)).toBe(86_400_000);

    const shown = await runGuard(['policy', 'show'], client.env);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ version: 1, default_tier: 'standard', iat: status.iat, exp: status.iat + 86_400 });

    writeFileSync(policyFile, 'version: 1\ntiers:\n  standard: { idle: 5 minutes }\n');
    const refused = await runGuard(['policy', 'sign', '--key', keyFile, policyFile], admin.env);
    expect(refused.code).toBe(78);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(new RegExp(`^guard: not signing an invalid policy: ${policyFile.replace(/\./g, '\\.')}:3:\\d+: tiers\\.standard\\.idle: bad duration`));
  });
});
