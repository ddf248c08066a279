/**
 * SPEC §9 with the real kubectl: `guard kube-credential` as a client-go
 * exec plugin against a small HTTPS Kubernetes API that accepts only ID
 * tokens the real IdP signed (JWKS: signature, issuer, audience, expiry).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { startIdp, type Idp } from '../support/idp.ts';
import { collect, configFor, createSandbox, GUARD_BIN, login, runGuard, type GuardResult, type Sandbox } from '../support/guard.ts';
import { readKeychain, userinfoAccepts } from '../support/keychain.ts';
import { AsyncEntry } from '@napi-rs/keyring';
import { createTestCa, type TestCa } from '../support/https-server.ts';
// @ts-expect-error: plain ESM helpers shared with the benchmark
import { startKubeApi } from '../../scripts/lib/kube-api.mjs';
// @ts-expect-error: plain ESM helper shared with the demo and the benchmark
import { findVerificationUrl } from '../../scripts/lib/approve.mjs';
import { runAtTerminal } from '../support/at-terminal.ts';
import { TmuxPane } from '../support/tmux.ts';

interface KubeApi {
  url: string;
  requests: Array<{ path: string; status: number; sub?: string; token?: string; why?: string }>;
  close(): Promise<void>;
}

const STATIC_TOKEN = 'static-token-of-the-test-cluster';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let idp: Idp;
let ca: TestCa;
let dev: KubeApi;
let prod: KubeApi;

beforeAll(async () => {
  idp = await startIdp();
  ca = createTestCa();
  dev = await startKubeApi({ cert: ca.cert, key: ca.key, issuer: idp.issuer, audience: idp.clientId, staticToken: STATIC_TOKEN });
  prod = await startKubeApi({ cert: ca.cert, key: ca.key, issuer: idp.issuer, audience: idp.clientId });
});
afterAll(async () => {
  await dev?.close();
  await prod?.close();
  await idp?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A sandbox whose config makes the prod API privileged, with a kubeconfig of two contexts that guard kubeconfig pointed at itself. */
function kubeSandbox(options: { reauth?: string; profileExtra?: string; privileged?: string } = {}): Sandbox & { kubeconfig: string } {
  const sandbox = createSandbox();
  sandbox.writeConfig(
    configFor(sandbox, idp.issuer, {
      tiers: [`  privileged: ${options.privileged ?? `{ idle: 15m, max_session: 12h, reauth_within: ${options.reauth ?? '10m'} }`}`, '  standard: { idle: 45m, max_session: 12h }'].join('\n'),
      rules: ['  - name: prod-cluster', `    match: "kube-credential ${prod.url}*"`, '    tier: privileged'].join('\n'),
      profileExtra: options.profileExtra,
    }),
  );
  const kubeconfig = join(sandbox.dir, 'kubeconfig');
  // Written by hand: this kubectl build's `config set-cluster` takes ~5 s here.
  const caData = Buffer.from(readFileSync(ca.caFile)).toString('base64');
  const entries = (kind: string, body: (name: string, api: KubeApi) => string[]) =>
    [`${kind}:`, ...(['dev', 'prod'] as const).flatMap((name) => body(name, name === 'dev' ? dev : prod))];
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      ...entries('clusters', (name, api) => ['- cluster:', `    certificate-authority-data: ${caData}`, `    server: ${api.url}`, `  name: ${name}`]),
      ...entries('contexts', (name) => ['- context:', `    cluster: ${name}`, `    user: ${name}-user`, `  name: ${name}`]),
      'current-context: dev',
      ...entries('users', (name) => [`- name: ${name}-user`, '  user:', `    token: ${STATIC_TOKEN}`]),
      '',
    ].join('\n'),
  );
  const env = { ...sandbox.env, KUBECONFIG: kubeconfig };
  for (const name of ['dev', 'prod']) {
    const edited = execFileSync(GUARD_BIN, ['kubeconfig', '--context', name], { env, encoding: 'utf8' });
    expect(edited).toContain(`context "${name}"`);
  }
  Object.assign(sandbox.env, { KUBECONFIG: kubeconfig });
  return { ...sandbox, kubeconfig };
}

/** kubectl without a controlling terminal (setsid), as in CI: the plugin it runs never asks the developer. */
function kubectl(args: string[], env: NodeJS.ProcessEnv): Promise<GuardResult> {
  return collect(spawn('kubectl', args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }));
}

const auditEvents = (sandbox: Sandbox) =>
  readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

describe('kubectl through guard kube-credential', () => {
  let sandbox: Sandbox & { kubeconfig: string };
  beforeAll(async () => {
    sandbox = kubeSandbox();
    await login(sandbox);
  });
  afterAll(async () => {
    await runGuard(['logout'], sandbox.env);
  });

  it('kubectl get pods works with the ID token, which the API server checked against the IdP', async () => {
    const before = dev.requests.length;
    const result = await kubectl(['get', 'pods', '--context', 'dev'], sandbox.env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^NAME\s.*\napi-7f9\s/);
    const seen = dev.requests.slice(before);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((r) => r.status === 200 && r.sub === 'alice')).toBe(true);
    // Not the static token the kubeconfig held before guard kubeconfig replaced it.
    expect(seen.some((r) => r.token === STATIC_TOKEN)).toBe(false);
    const allowed = auditEvents(sandbox).filter((e) => e.event === 'allowed' && e.command === 'kube-credential');
    expect(allowed.at(-1)).toMatchObject({ server: dev.url, tier: 'standard', profile: sandbox.profile });
  });

  it('answers in the apiVersion it was asked in, with nothing but the ExecCredential on stdout and an expiry within the token and the tier', async () => {
    for (const apiVersion of ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1']) {
      const info = { kind: 'ExecCredential', apiVersion, spec: { interactive: false, cluster: { server: dev.url } } };
      const started = Date.now();
      const result = await runGuard(['kube-credential'], { ...sandbox.env, KUBERNETES_EXEC_INFO: JSON.stringify(info) });
      expect(result.code).toBe(0);
      const credential = JSON.parse(result.stdout);
      expect(Object.keys(credential).sort()).toEqual(['apiVersion', 'kind', 'status']);
      expect(credential).toMatchObject({ apiVersion, kind: 'ExecCredential' });
      const claims = JSON.parse(Buffer.from(credential.status.token.split('.')[1], 'base64url').toString());
      expect(claims).toMatchObject({ iss: idp.issuer, aud: idp.clientId, sub: 'alice' });
      const expires = Date.parse(credential.status.expirationTimestamp);
      expect(expires).toBeLessThanOrEqual(claims.exp * 1000);
      // The standard tier's idle limit (45m) fires before the ID token's hour is up.
      expect(expires).toBeLessThanOrEqual(Date.now() + 45 * 60_000);
      expect(expires).toBeGreaterThanOrEqual(started + 45 * 60_000 - 2_000);
    }
  });

  it('explain, status and report name the caller and the server', async () => {
    const explained = await runGuard(['explain', '--', 'kube-credential', prod.url], sandbox.env);
    expect(explained.code).toBe(0);
    expect(explained.stdout).toContain(`command:  kube-credential\nserver:   ${prod.url}\n`);
    expect(explained.stdout).toMatch(/rule:\s+prod-cluster .* → privileged/);
    expect(explained.stdout).toContain('effective tier: privileged');
    const status = JSON.parse((await runGuard(['status', '--json'], sandbox.env)).stdout);
    expect(status.credential_callers).toEqual([expect.objectContaining({ caller: 'kube-credential', server: dev.url, tiers: ['standard'], denied: 0 })]);
    expect(status.credential_callers[0].allowed).toBeGreaterThan(0);
    const text = (await runGuard(['status'], sandbox.env)).stdout;
    expect(text).toContain(`credential kube-credential ${dev.url}: `);
    const report = JSON.parse((await runGuard(['report', '--json'], sandbox.env)).stdout);
    expect(report.callers).toEqual([expect.objectContaining({ caller: 'kube-credential', server: dev.url })]);
    expect((await runGuard(['report'], sandbox.env)).stdout).toMatch(new RegExp(`Tools that asked for credentials\\n.*\\n  kube-credential\\s+${dev.url.replace(/[.]/g, '\\.')}`));
  });

  it('a valid session\'s kube-credential and git-credential never load the lazy parts (commander, YAML, openid-client)', async () => {
    // A copy of the build without dist/lazy: anything that needs a lazy module fails to load.
    const copy = mkdtempSync(join(tmpdir(), 'guard-core-only-'));
    mkdirSync(join(copy, 'bin'));
    mkdirSync(join(copy, 'dist'));
    for (const file of ['bin/guard', 'bin/package.json', 'dist/guard.cjs', 'dist/core.cjs', 'package.json']) copyFileSync(join(ROOT, file), join(copy, file));
    chmodSync(join(copy, 'bin/guard'), 0o755);
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    const bin = join(copy, 'bin/guard');
    // The parsed config is cached by the full build's first run (above); the copy then needs no YAML parser.
    const info = JSON.stringify({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1', spec: { interactive: false, cluster: { server: dev.url } } });
    const kube = await collect(spawn(bin, ['kube-credential'], { env: { ...sandbox.env, KUBERNETES_EXEC_INFO: info }, stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(kube.stderr).toBe('');
    expect(JSON.parse(kube.stdout).kind).toBe('ExecCredential');
    const gitChild = spawn(bin, ['git-credential', 'get'], { env: sandbox.env, stdio: ['pipe', 'pipe', 'pipe'] });
    gitChild.stdin!.end('protocol=https\nhost=git.example.test\n\n');
    const git = await collect(gitChild);
    expect(git.stderr).toBe('');
    expect(git.stdout).toMatch(/^username=oauth2\npassword=.+\npassword_expiry_utc=\d+\n$/);
    // The copy really lacks the lazy parts: a command that needs them fails.
    expect((await collect(spawn(bin, ['status'], { env: sandbox.env, stdio: ['ignore', 'pipe', 'pipe'] }))).code).not.toBe(0);
  });

  it('an ID token about to expire is refreshed before kubectl gets it, though the access token still lives', async () => {
    const stored = (await readKeychain(sandbox.profile))!;
    // A stale ID token in the keychain (guard reads only its exp; the API server would refuse it).
    const stale = `e30.${Buffer.from(JSON.stringify({ sub: 'alice', exp: Math.floor(Date.now() / 1000) - 5 })).toString('base64url')}.x`;
    await new AsyncEntry('guard', sandbox.profile, { linux: { store: 'secret-service' } }).setPassword(JSON.stringify({ ...stored, id_token: stale }));
    const refreshes = () => auditEvents(sandbox).filter((e) => e.event === 'refresh').length;
    const before = refreshes();
    const result = await kubectl(['get', 'pods', '--context', 'dev'], sandbox.env);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('api-7f9');
    expect(refreshes() - before).toBe(1);
    const after = (await readKeychain(sandbox.profile))!;
    expect(after.id_token).not.toBe(stale);
    expect(after.refresh_token).not.toBe(stored.refresh_token);
  });

  it('16 parallel kubectl calls after the access token expired: all work, exactly one refresh', async () => {
    const state = join(sandbox.stateDir, 'sessions', `${sandbox.profile}.json`);
    writeFileSync(state, JSON.stringify({ ...JSON.parse(readFileSync(state, 'utf8')), access_expires_at: Date.now() - 1_000 }));
    const refreshes = () => auditEvents(sandbox).filter((e) => e.event === 'refresh').length;
    const before = refreshes();
    const results = await Promise.all(Array.from({ length: 16 }, () => kubectl(['get', 'pods', '--context', 'dev'], sandbox.env)));
    expect(results.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([]);
    expect(results.every((r) => r.stdout.includes('api-7f9'))).toBe(true);
    expect(refreshes() - before).toBe(1);
  });
});

describe('step-up and sign-in for kubectl', () => {
  it('a privileged cluster rule forces a step-up: refused without a terminal, done inline at one', async () => {
    const sandbox = kubeSandbox({ reauth: '5s' });
    await login(sandbox);
    await sleep(5_500);
    // get --raw skips discovery, whose retries would run the refused plugin several times.
    const denied = await kubectl(['get', '--raw', '/api/v1/namespaces/default/pods', '--context', 'prod'], sandbox.env);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain(`guard: step-up required for profile "${sandbox.profile}": tier privileged (rule prod-cluster) needs a sign-in in the last 5s; yours was `);
    expect(denied.stderr).toContain('guard kube-credential signs in only when the Kubernetes client runs it at a terminal');
    // The dev cluster is standard: no step-up needed there.
    expect((await kubectl(['get', '--raw', '/api/v1/namespaces/default/pods', '--context', 'dev'], sandbox.env)).code).toBe(0);

    // At a terminal (kubectl then says spec.interactive: true) guard asks for the step-up inline.
    // The credential expires when reauth_within does (5 s after the step-up), so kubectl must be done by then: one request.
    const { code, screen, approved } = await runAtTerminal('kubectl get --raw /api/v1/namespaces/default/pods --context prod', sandbox.env);
    expect(approved).toBe(true);
    expect(screen).toContain(`guard: step-up for profile "${sandbox.profile}": tier privileged (rule prod-cluster) needs a sign-in in the last 5s; yours was `);
    expect(code).toBe(0);
    expect(screen).toContain('api-7f9');
    const events = auditEvents(sandbox);
    expect(events.filter((e) => e.event === 'step_up').at(-1)).toMatchObject({ command: 'kube-credential', tier: 'privileged' });
    await runGuard(['logout'], sandbox.env);
  }, 120_000); // two device flows, a 5.5 s wait and four kubectl runs: slow on a loaded machine

  it('a non-interactive call with no session exits non-zero without starting a device flow', async () => {
    const sandbox = kubeSandbox();
    const result = await kubectl(['get', 'pods', '--context', 'dev'], sandbox.env);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`guard: sign-in required for profile "${sandbox.profile}" (no session); run: guard login`);
    expect(findVerificationUrl(result.stderr)).toBeUndefined();
    const direct = await runGuard(['kube-credential'], { ...sandbox.env, KUBERNETES_EXEC_INFO: JSON.stringify({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1', spec: { interactive: false } }) });
    expect(direct.code).toBe(77);
    expect(direct.stdout).toBe('');
    expect(direct.stderr.trim().split('\n')).toHaveLength(1);
    expect(auditEvents(sandbox).filter((e) => e.event === 'denied').at(-1)).toMatchObject({ command: 'kube-credential', reason: 'no_session' });
  });
});

describe('a cluster whose tier asks for a confirmation', () => {
  const PRIVILEGED = '{ idle: 15m, max_session: 12h, confirm: true }';
  const REFUSAL = '"kube-credential" (tier privileged) needs a confirmation and no terminal can answer (no controlling terminal); run the Kubernetes client from a terminal, or put that cluster on a tier without confirm';

  it('without a terminal: refused before any sign-in, saying what to do instead of --yes, and said once though kubectl runs the plugin again', async () => {
    const sandbox = kubeSandbox({ privileged: PRIVILEGED });
    // No session either: the refusal comes before any sign-in.
    const result = await kubectl(['get', 'pods', '--context', 'prod'], sandbox.env);
    expect(result.code).not.toBe(0);
    expect(result.stderr.split('\n').filter((line) => line.startsWith('guard:'))).toEqual([`guard: ${REFUSAL}`]);
    expect(result.stderr).toMatch(/getting credentials: exec: executable \S+ failed with exit code 77/); // kubectl's own lines: every run refused
    expect(findVerificationUrl(result.stderr)).toBeUndefined();
    expect(auditEvents(sandbox).filter((e) => e.event === 'denied').map((e) => e.reason)).toEqual(['confirm_needed']);
  });

  it.each([
    ['at a terminal', ''],
    ['with its stdin a pipe (kubectl apply -f - < manifest)', 'echo | '],
  ])('%s: asks on the terminal, then kubectl gets its credential', async (_name, prefix) => {
    const sandbox = kubeSandbox({ privileged: PRIVILEGED });
    await login(sandbox);
    const pane = new TmuxPane(sandbox, `${prefix}kubectl get --raw /api/v1/namespaces/default/pods --context prod`);
    try {
      await pane.waitFor(new RegExp(`Hand the Kubernetes client a credential for ${prod.url.replace(/[.]/g, '\\.')} \\(tier privileged, profile ${sandbox.profile}\\)\\? \\(y/N\\)`));
      pane.keys('y', 'Enter');
      expect(await pane.exitCode()).toBe(0);
      expect(pane.screen()).toContain('api-7f9');
    } finally {
      pane.kill();
    }
    await runGuard(['logout'], sandbox.env);
  });
});

describe('kubectl at a terminal: who signs in, and when', () => {
  it('an inline sign-in through kubectl must be the same person: approved by another user, it is refused and nothing is stored', async () => {
    const sandbox = kubeSandbox();
    await login(sandbox, { login: 'alice' });
    expect((await runGuard(['lock'], sandbox.env)).code).toBe(0); // the session ends; alice stays the profile's person
    const before = dev.requests.length;
    // kubectl runs a plugin that failed once more: mallory approves each sign-in it starts.
    const { code, screen, approvals } = await runAtTerminal('kubectl get --raw /api/v1/namespaces/default/pods --context dev', sandbox.env, { login: 'mallory', every: true });
    expect(approvals).toBeGreaterThan(0);
    expect(code).not.toBe(0);
    expect(screen).toContain(`guard: the sign-in was approved as "mallory", but profile "${sandbox.profile}" belongs to "alice"`);
    expect(await readKeychain(sandbox.profile)).toBeUndefined();
    expect(dev.requests.slice(before).filter((r) => r.status === 200)).toEqual([]);
    expect(auditEvents(sandbox).at(-1)).toMatchObject({ event: 'login_failed', reason: 'subject_mismatch', command: 'kube-credential' });
  }, 60_000);

  it('interactiveMode Never: kubectl at a terminal says spec.interactive false, and no device flow starts', async () => {
    const sandbox = kubeSandbox();
    writeFileSync(sandbox.kubeconfig, readFileSync(sandbox.kubeconfig, 'utf8').replaceAll('interactiveMode: IfAvailable', 'interactiveMode: Never'));
    const { code, screen, approved } = await runAtTerminal('kubectl get --raw /api/v1/namespaces/default/pods --context dev', sandbox.env);
    expect(approved).toBe(false);
    expect(code).not.toBe(0);
    expect(screen).toContain(`guard: sign-in required for profile "${sandbox.profile}" (no session); run: guard login`);
    expect(findVerificationUrl(screen)).toBeUndefined();
    expect(await readKeychain(sandbox.profile)).toBeUndefined();
    expect(auditEvents(sandbox).some((e) => e.event === 'login' || e.event === 'login_failed')).toBe(false);
  }, 60_000);
});

describe('kube_token: access_token', () => {
  it('hands out the access token instead, valid at the IdP', async () => {
    const sandbox = kubeSandbox({ profileExtra: '    kube_token: access_token' });
    await login(sandbox);
    const result = await runGuard(['kube-credential'], { ...sandbox.env, KUBERNETES_EXEC_INFO: JSON.stringify({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1', spec: { interactive: false } }) });
    expect(result.code).toBe(0);
    const token = JSON.parse(result.stdout).status.token;
    expect(token.split('.')).not.toHaveLength(3); // the dev IdP's access tokens are opaque, unlike the ID token
    expect(await userinfoAccepts(idp.issuer, token)).toBe(true);
    await runGuard(['logout'], sandbox.env);
  });
});
