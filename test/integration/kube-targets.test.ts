/**
 * Issue 22's kube lines, each through the real route (SPEC §14): guard run
 * with the real kubectl as the command, and the real kubectl running guard
 * kube-credential as its exec plugin, against two API stand-ins (dev and
 * prod) that check the real IdP's tokens. The rules are written on the
 * targets (kubectl's --namespace=, --server=, --context=, and a
 * kube-credential server); the privileged tier's step-up is due, so a
 * privileged command exits 77 without a terminal while a standard one runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startIdp, type Idp } from '../support/idp.ts';
import { collect, configFor, createSandbox, GUARD_BIN, login, runGuard, type GuardResult, type Sandbox } from '../support/guard.ts';
import { createTestCa, type TestCa } from '../support/https-server.ts';
import { execInfo, writeTestKubeconfig } from '../support/kubeconfig-file.ts';
// @ts-expect-error: plain ESM helpers shared with the benchmark
import { startKubeApi } from '../../scripts/lib/kube-api.mjs';

interface KubeApi {
  url: string;
  requests: Array<{ path: string; status: number; sub?: string }>;
  close(): Promise<void>;
}

let idp: Idp;
let ca: TestCa;
let dev: KubeApi;
let prod: KubeApi;
let sandbox: Sandbox & { kubeconfig: string };
/** The prod server as a user might write it: upper-case scheme and host, the default port spelled out elsewhere. */
let prodUpper: string;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  idp = await startIdp();
  ca = createTestCa();
  dev = await startKubeApi({ cert: ca.cert, key: ca.key, issuer: idp.issuer, audience: idp.clientId });
  prod = await startKubeApi({ cert: ca.cert, key: ca.key, issuer: idp.issuer, audience: idp.clientId });
  prodUpper = prod.url.replace('https://127.0.0.1', 'HTTPS://127.0.0.1');
  const base = createSandbox();
  base.writeConfig(
    configFor(base, idp.issuer, {
      tiers: ['  privileged: { idle: 15m, max_session: 12h, reauth_within: 2s }', '  standard: { idle: 45m, max_session: 12h }'].join('\n'),
      rules: [
        ['ns-prod', 'kubectl ** --namespace=prod*'],
        ['prod-server', `kubectl ** --server=${prod.url}*`],
        ['prod-context', 'kubectl ** --context=prod*'],
        ['prod-credential', `kube-credential ${prod.url}*`],
      ].map(([name, match]) => `  - name: ${name}\n    match: "${match}"\n    tier: privileged`).join('\n'),
    }),
  );
  const kubeconfig = join(base.dir, 'kubeconfig');
  writeTestKubeconfig(kubeconfig, { caFile: ca.caFile, clusters: [['dev-cluster', dev.url], ['prod-cluster', prod.url]], contexts: [['dev', 'dev-cluster', 'apps'], ['prod-eu', 'prod-cluster']], current: 'dev' });
  Object.assign(base.env, { KUBECONFIG: kubeconfig });
  // guard init's advice, as it now reads: no --tier (kubectl's rules on prod decide the plugin too).
  for (const context of ['dev', 'prod-eu']) execFileSync(GUARD_BIN, ['kubeconfig', '--context', context], { env: base.env, encoding: 'utf8' });
  sandbox = { ...base, kubeconfig };
  await login(sandbox);
  await sleep(2_500); // the privileged tier's step-up is now due
}, 90_000);
afterAll(async () => {
  if (sandbox) await runGuard(['logout'], sandbox.env);
  await dev?.close();
  await prod?.close();
  await idp?.stop();
});

const guardRun = (args: string[]) => runGuard(['run', '--no-prompt', '--', ...args], sandbox.env);
const kubectl = (args: string[]): Promise<GuardResult> => collect(spawn('kubectl', args, { env: sandbox.env, stdio: ['ignore', 'pipe', 'pipe'] }));
const STEP_UP = /guard: step-up required for profile "[^"]+": tier privileged \(rules? [^)]+\) needs a sign-in in the last/;
const allowedBy = (server: KubeApi, from: number) => server.requests.slice(from).filter((r) => r.status === 200).length;

describe('issue 22, kube lines: the tier follows the cluster and namespace kubectl really reaches', () => {
  it('kubectl get pods -wn prod (a pflag cluster: -w, then -n prod) is privileged', async () => {
    const result = await guardRun(['kubectl', 'get', 'pods', '-wn', 'prod']);
    expect(result.stderr).toMatch(STEP_UP);
    expect(result.code).toBe(77);
    // The control: the same cluster in another namespace is standard, and kubectl really runs.
    const fine = await guardRun(['kubectl', 'get', 'pods', '-wn', 'apps', '--request-timeout=20s']);
    expect(fine.stderr).not.toMatch(STEP_UP);
    expect(fine.stdout).toContain('api-7f9');
  });

  it('kubectl --cluster=prod-cluster … and kubectl -s HTTPS://… (the prod server in another spelling) are privileged', async () => {
    for (const args of [['kubectl', '--cluster=prod-cluster', 'get', 'pods'], ['kubectl', 'get', 'pods', '-s', prodUpper], ['kubectl', `-s${prodUpper}/`, 'get', 'pods']]) {
      const result = await guardRun(args);
      expect(result.stderr, args.join(' ')).toMatch(STEP_UP);
      expect(result.code).toBe(77);
    }
  });

  it('kubectl config set-context --current --cluster=prod-cluster; kubectl get pods is privileged (the kubeconfig is read again)', async () => {
    const file = readFileSync(sandbox.kubeconfig, 'utf8');
    try {
      const before = await guardRun(['kubectl', 'get', 'pods', '--request-timeout=20s']);
      expect(before.stdout).toContain('api-7f9');
      execFileSync('kubectl', ['config', 'set-context', '--current', '--cluster=prod-cluster'], { env: sandbox.env });
      const after = await guardRun(['kubectl', 'get', 'pods']);
      expect(after.stderr).toMatch(STEP_UP);
      expect(after.code).toBe(77);
    } finally {
      writeFileSync(sandbox.kubeconfig, file);
    }
  });

  it('kubectl --server HTTPS://127.0.0.1:PORT get pods through the exec plugin: privileged, no pods listed', async () => {
    const before = prod.requests.length;
    const result = await kubectl(['--server', prodUpper, 'get', '--raw', '/api/v1/namespaces/default/pods', '--context', 'dev']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(STEP_UP);
    expect(result.stdout).not.toContain('api-7f9');
    expect(allowedBy(prod, before)).toBe(0);
  });

  it('no KUBERNETES_EXEC_INFO at all: the strictest kube rule (77); its own --server names the cluster', async () => {
    const bare = await runGuard(['kube-credential'], { ...sandbox.env, KUBERNETES_EXEC_INFO: '' });
    expect(bare.code).toBe(77);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toMatch(STEP_UP);
    const noCluster = await runGuard(['kube-credential'], { ...sandbox.env, KUBERNETES_EXEC_INFO: execInfo() });
    expect(noCluster.code).toBe(77);
    // Named by its own argument: the dev server is standard, prod privileged.
    const named = await runGuard(['kube-credential', '--server', dev.url], { ...sandbox.env, KUBERNETES_EXEC_INFO: execInfo() });
    expect(named.stderr).toBe('');
    expect(JSON.parse(named.stdout).kind).toBe('ExecCredential');
    expect((await runGuard(['kube-credential', '--server', prodUpper], { ...sandbox.env, KUBERNETES_EXEC_INFO: execInfo() })).code).toBe(77);
    // explain decides the server in the form the plugin does: an upper-case spelling meets the kube-credential rule too.
    expect((await runGuard(['explain', '--', 'kube-credential', `${prodUpper}/`], sandbox.env)).stdout).toMatch(/rule:\s+prod-credential /);
    // A server without a scheme is the plain-http server kubectl 1.32 requests for it: another server than prod's https one.
    const schemeless = await runGuard(['explain', '--', 'kube-credential', prod.url.replace('https://', '')], sandbox.env);
    expect(schemeless.stdout).toContain(`server:   ${prod.url.replace('https://', 'http://')}\n`);
    const explained = await runGuard(['explain', '--', 'kube-credential'], sandbox.env);
    expect(explained.stdout).toContain('implied:  --server=? (the Kubernetes client did not say its server');
    expect(explained.stdout).toContain('effective tier: privileged');
  });

  it('/usr/bin/kubectl get pods --context prod-eu </dev/null after guard kubeconfig --context prod-eu (no --tier): privileged, as through the shell function', async () => {
    const before = prod.requests.length;
    const direct = await collect(spawn('/usr/bin/kubectl', ['get', '--raw', '/api/v1/namespaces/default/pods', '--context', 'prod-eu'], { env: sandbox.env, stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(direct.code).not.toBe(0);
    expect(direct.stderr).toMatch(STEP_UP);
    expect(allowedBy(prod, before)).toBe(0);
    const wrapped = await guardRun(['kubectl', 'get', 'pods', '--context', 'prod-eu']);
    expect(wrapped.code).toBe(77);
    // The plugin's decision names kubectl's rules on prod-eu: the route mapping, not only the kube-credential rule.
    const explained = await runGuard(['explain', '--', 'kube-credential', prod.url], sandbox.env);
    expect(explained.stdout).toContain('implied:  --context=prod-eu from ');
    expect(explained.stdout).toMatch(/rule:\s+prod-context /);
    expect(explained.stdout).toMatch(/rule:\s+prod-server /);
    expect(explained.stdout).toContain('effective tier: privileged');
    // The dev context stays standard through the plugin.
    const devRun = await kubectl(['get', 'pods', '--context', 'dev', '-n', 'apps']);
    expect(devRun.stderr).toBe('');
    expect(devRun.stdout).toContain('api-7f9');
  });

  it('guard kubeconfig says which tier the context gets, and asks for a rule or --tier only when none names the cluster', async () => {
    const again = await runGuard(['kubeconfig', '--context', 'prod-eu', '--undo'], sandbox.env);
    expect(again.code).toBe(0);
    const edited = await runGuard(['kubeconfig', '--context', 'prod-eu'], sandbox.env);
    expect(edited.stdout).toMatch(/tier: privileged \(rule prod-server, rule prod-context, rule prod-credential\)/);
    await runGuard(['kubeconfig', '--context', 'dev', '--undo'], sandbox.env);
    const devEdit = await runGuard(['kubeconfig', '--context', 'dev'], sandbox.env);
    expect(devEdit.stdout).toContain(`tier: standard (default_tier: no rule names this cluster; add one such as "kubectl ** --server=${dev.url}", or pass --tier)`);
  });
});
