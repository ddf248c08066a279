/**
 * One cluster's token is not another's (SPEC §14, `kube_resource: true`):
 * guard kube-credential hands out an access token whose audience is the
 * cluster (RFC 8707 resource = the normalised server URL) from the real IdP
 * (oidc-provider with resource indicators, JWT access tokens), to two API
 * stand-ins that each accept only tokens for their own URL, checked
 * against the IdP's JWKS. The tokens are kept per cluster in the keychain
 * until they expire; lock drops them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { request } from 'node:https';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsyncEntry } from '@napi-rs/keyring';
import { startIdp, type Idp } from '../support/idp.ts';
import { collect, configFor, createSandbox, GUARD_BIN, login, runGuard, type GuardResult, type Sandbox } from '../support/guard.ts';
import { readKeychain } from '../support/keychain.ts';
import { backdateSession } from '../support/state-file.ts';
import { createTestCa, type TestCa } from '../support/https-server.ts';
import { execInfo, writeTestKubeconfig } from '../support/kubeconfig-file.ts';
// @ts-expect-error: plain ESM helper shared with the benchmark
import { startKubeApi } from '../../scripts/lib/kube-api.mjs';

interface KubeApi {
  url: string;
  requests: Array<{ path: string; status: number; sub?: string; why?: string }>;
  close(): Promise<void>;
}

let idp: Idp | undefined;
let ca: TestCa;
let dev: KubeApi;
let prod: KubeApi;
let sandbox: Sandbox;

beforeAll(async () => {
  ca = createTestCa();
  // The IdP must know the clusters' URLs as resources, and the clusters its issuer: the issuer is read at the first request.
  dev = await startKubeApi({ cert: ca.cert, key: ca.key, issuer: () => idp!.issuer, audience: 'self' });
  prod = await startKubeApi({ cert: ca.cert, key: ca.key, issuer: () => idp!.issuer, audience: 'self' });
  idp = await startIdp({ resources: [dev.url, prod.url] });
  sandbox = createSandbox();
  sandbox.writeConfig(configFor(sandbox, idp.issuer, { profileExtra: `    kube_resource: true\n    resources: [${dev.url}, ${prod.url}]` }));
  const kubeconfig = join(sandbox.dir, 'kubeconfig');
  writeTestKubeconfig(kubeconfig, {
    caFile: ca.caFile,
    // The prod server in another spelling: guard asks for the normalised URL, the API server's audience.
    clusters: [['dev', dev.url], ['prod', `${prod.url.replace('https://127.0.0.1', 'HTTPS://127.0.0.1')}/`]],
    contexts: [['dev', 'dev'], ['prod', 'prod']],
    current: 'dev',
  });
  Object.assign(sandbox.env, { KUBECONFIG: kubeconfig });
  for (const context of ['dev', 'prod']) execFileSync(GUARD_BIN, ['kubeconfig', '--context', context], { env: sandbox.env });
  await login(sandbox);
}, 90_000);
afterAll(async () => {
  if (sandbox) await runGuard(['logout'], sandbox.env);
  await dev?.close();
  await prod?.close();
  await idp?.stop();
});

const kubectl = (args: string[]): Promise<GuardResult> => collect(spawn('kubectl', args, { env: sandbox.env, stdio: ['ignore', 'pipe', 'pipe'] }));
async function credential(server: string): Promise<GuardResult & { token?: string }> {
  const result = await runGuard(['kube-credential'], { ...sandbox.env, KUBERNETES_EXEC_INFO: execInfo(server) });
  return { ...result, ...(result.code === 0 ? { token: JSON.parse(result.stdout).status.token as string } : {}) };
}
const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
const keptEntry = (server: string) => new AsyncEntry('guard', `${sandbox.profile}/resource/${server}`, { linux: { store: 'secret-service' } });
const heldAccounts = () => {
  const file = join(sandbox.stateDir, 'sessions', `${sandbox.profile}.held.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')).held as Array<{ account: string; kind?: string }>) : [];
};
const narrowedRefreshes = () => readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line)).filter((e) => e.event === 'refresh' && e.reason === 'narrowed').length;

/** What an attacker holding a token does: a request of their own straight to the API server, as curl would. */
function directList(api: KubeApi, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${api.url}/api/v1/namespaces/default/pods`, { ca: readFileSync(ca.caFile), headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('kube_resource: true — one cluster\'s token is not another\'s', () => {
  it('kubectl reaches each cluster with a token for that cluster alone', async () => {
    for (const context of ['dev', 'prod']) {
      const result = await kubectl(['get', 'pods', '--context', context]);
      expect(result.stderr, context).toBe('');
      expect(result.stdout).toContain('api-7f9');
    }
    expect(dev.requests.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    expect(prod.requests.filter((r) => r.status === 200).length).toBeGreaterThan(0);
  });

  it('a token handed out for dev is refused by prod (and the other way round), also straight from curl', async () => {
    const forDev = (await credential(dev.url)).token!;
    const forProd = (await credential(`${prod.url.toUpperCase().replace('HTTPS', 'https')}:443`.replace(':443', ''))).token!;
    expect(claims(forDev).aud).toBe(dev.url);
    expect(claims(forProd).aud).toBe(prod.url);
    expect(await directList(dev, forDev)).toBe(200);
    expect(await directList(prod, forDev)).toBe(401);
    expect(prod.requests.at(-1)).toMatchObject({ status: 401, why: 'ERR_JWT_CLAIM_VALIDATION_FAILED' });
    expect(await directList(prod, forProd)).toBe(200);
    expect(await directList(dev, forProd)).toBe(401);
    // The session's own tokens are for neither cluster.
    const stored = (await readKeychain(sandbox.profile))!;
    expect(await directList(dev, stored.id_token!)).toBe(401);
  });

  it('keeps each cluster\'s token until it expires: no IdP round trip per call, and parallel callers share one refresh', async () => {
    const first = (await credential(dev.url)).token;
    const before = narrowedRefreshes();
    expect((await credential(dev.url)).token).toBe(first);
    expect(narrowedRefreshes()).toBe(before);
    // Dropped by lock; then 8 callers at once after a fresh sign-in: one narrowed refresh for prod, one token.
    await runGuard(['lock'], sandbox.env);
    expect(await new AsyncEntry('guard', `${sandbox.profile}/resource/${dev.url}`, { linux: { store: 'secret-service' } }).getPassword()).toBeFalsy();
    await login(sandbox);
    const start = narrowedRefreshes();
    const results = await Promise.all(Array.from({ length: 8 }, () => credential(prod.url)));
    expect(results.map((r) => r.code)).toEqual(Array(8).fill(0));
    expect(new Set(results.map((r) => r.token)).size).toBe(1);
    expect(narrowedRefreshes() - start).toBe(1);
  });

  it('a server the profile did not ask for at login is refused before anything reaches the IdP (the refresh token stays usable)', async () => {
    const stored = (await readKeychain(sandbox.profile))!;
    const other = await credential('https://127.0.0.1:1');
    expect(other.code).toBe(78);
    expect(other.stderr.trim()).toBe(`guard: resource https://127.0.0.1:1 was not requested at login by profile "${sandbox.profile}"; add it to profiles.${sandbox.profile}.resources and sign in again`);
    expect((await readKeychain(sandbox.profile))!.refresh_token).toBe(stored.refresh_token);
    const noServer = await runGuard(['kube-credential'], { ...sandbox.env, KUBERNETES_EXEC_INFO: '' });
    expect(noServer.code).toBe(78);
    expect(noServer.stderr).toContain('kube_resource: true, so guard kube-credential needs the cluster\'s server');
  });

  it('a kept token belongs to its session: a new sign-in is not handed it, and a rejected refresh drops it', async () => {
    const old = (await credential(dev.url)).token!;
    expect(heldAccounts()).toContainEqual({ account: `${sandbox.profile}/resource/${dev.url}`, store: 'secret-service', kind: 'resource-token' });
    expect((await runGuard(['status'], sandbox.env)).stdout).toMatch(/ holds [12] cluster tokens? obtained with this session \(guard lock drops them\)\n/);
    // Another sign-in without a lock in between: a session of its own, which asks the IdP for its own token.
    await login(sandbox);
    const before = narrowedRefreshes();
    const renewed = (await credential(dev.url)).token!;
    expect(renewed).not.toBe(old);
    expect(narrowedRefreshes()).toBe(before + 1);
    expect(await directList(dev, renewed)).toBe(200);
    // The IdP refuses the next refresh (its refresh token is gone): the session ends, and its cluster tokens with it.
    const stored = (await readKeychain(sandbox.profile))!;
    await new AsyncEntry('guard', sandbox.profile, { linux: { store: 'secret-service' } }).setPassword(JSON.stringify({ ...stored, refresh_token: 'revoked-by-the-idp' }));
    backdateSession(sandbox, { access_expires_at: 2 * 3600_000 });
    const refused = await credential(dev.url);
    expect(refused.code).toBe(77);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).not.toContain(renewed.split('.')[1]);
    expect(await keptEntry(dev.url).getPassword()).toBeFalsy();
    expect(heldAccounts()).toEqual([]);
    await login(sandbox);
    const next = (await credential(dev.url)).token!;
    expect(next).not.toBe(renewed);
    expect(await directList(dev, next)).toBe(200);
  });

  it('config check refuses kube_token: id_token beside kube_resource', async () => {
    const file = join(sandbox.dir, 'bad.yaml');
    writeFileSync(file, configFor(sandbox, idp!.issuer, { profileExtra: '    kube_resource: true\n    kube_token: id_token' }));
    const checked = await runGuard(['config', 'check', file], sandbox.env);
    expect(checked.code).toBe(78);
    expect(checked.stderr).toContain('kube_resource hands out access tokens; drop kube_token or set it to access_token');
  });
});
