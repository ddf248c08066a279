/**
 * `guard doctor` (SPEC §12) against real parts: a healthy set-up (real IdP,
 * signed in, bash rc with the shell functions, a kubeconfig user and a git
 * helper that run guard) exits 0; then each failure class made real — the
 * keychain gone, the IdP down, an untrusted project file, a world-writable
 * state folder, an IdP whose Date header is ten minutes off.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startIdp } from '../support/idp.ts';
import { startFakeIdp } from '../support/fake-idp.ts';
import { configFor, createSandbox, GUARD_BIN, login, runGuard, type Sandbox } from '../support/guard.ts';
import { freePort } from '../support/net.ts';
import { startPrivateKeyring } from '../support/private-keyring.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import { useServer } from '../support/use-server.ts';

const idp = useServer(() => startIdp());
const fake = useServer(() => startFakeIdp());

interface Report {
  ok: boolean;
  exit_code: number;
  checks: Array<{ id: string; status: 'pass' | 'fail' | 'warn' | 'info'; summary: string; fix?: string; exit_code?: number }>;
}

async function doctorJson(sandbox: Sandbox, options: { cwd?: string } = {}): Promise<{ code: number | null; report: Report }> {
  const result = await runGuard(['doctor', '--json'], sandbox.env, options);
  return { code: result.code, report: JSON.parse(result.stdout) as Report };
}

const failing = (report: Report) => report.checks.filter((check) => check.status === 'fail');

function sandboxFor(issuer: string, extra?: string): Sandbox {
  const sandbox = createSandbox();
  sandbox.writeConfig(configFor(sandbox, issuer, extra ? { extra } : {}));
  return sandbox;
}

describe('guard doctor on a healthy set-up', () => {
  it('passes every check (exit 0), text and --json', async () => {
    const sandbox = sandboxFor(idp.issuer, 'aliases: [kubectl]');
    await login(sandbox);
    // The rc line from init's advice. The sandbox's PATH has no guard: the file it sources, written by this shell-init, calls guard by its path.
    expect((await runGuard(['shell-init', 'bash'], sandbox.env)).code).toBe(0);
    writeFileSync(join(sandbox.dir, '.bashrc'), (await runGuard(['shell-init', '--rc-line', 'bash'], sandbox.env)).stdout);
    const kubeconfig = join(sandbox.dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'contexts:',
        '  - name: prod-eu',
        '    context: { cluster: prod, user: guard-prod }',
        'users:',
        '  - name: guard-prod',
        '    user:',
        '      exec:',
        '        apiVersion: client.authentication.k8s.io/v1',
        `        command: ${GUARD_BIN}`,
        '        args: [kube-credential]',
        '        interactiveMode: IfAvailable',
        '',
      ].join('\n'),
    );
    Object.assign(sandbox.env, { SHELL: '/bin/bash', KUBECONFIG: kubeconfig });
    execFileSync('git', ['config', '--global', 'credential.https://git.example.com.helper', `!${GUARD_BIN} git-credential`], { env: sandbox.env });

    const text = await runGuard(['doctor'], sandbox.env);
    expect(text.code).toBe(0);
    expect(text.stderr).toBe('');
    expect(text.stdout).toMatch(/^✓ user config .*: valid$/m);
    expect(text.stdout).toMatch(/^✓ IdP http:\/\/127\.0\.0\.1:\d+ \(profile .*\): reachable, issuer matches, device grant offered$/m);
    expect(text.stdout).toMatch(/^✓ clock: within 30s of the IdP/m);
    expect(text.stdout).toMatch(/^✓ keychain for profile .*: Secret Service reachable and unlocked \(holds a session\)$/m);
    expect(text.stdout).toMatch(/^✓ state folder .*: yours, mode 0700/m);
    expect(text.stdout).toMatch(/^✓ shell functions \(bash\): kubectl run through guard$/m);
    expect(text.stdout).toMatch(/^✓ kubeconfig: prod-eu get tokens from guard kube-credential$/m);
    expect(text.stdout).toMatch(/^✓ git credential helper credential\.https:\/\/git\.example\.com\.helper: guard git-credential$/m);
    expect(text.stdout).toMatch(/all checks passed\n$/);

    const { code, report } = await doctorJson(sandbox);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.exit_code).toBe(0);
    expect(new Set(report.checks.map((check) => check.id))).toEqual(new Set(['config', 'idp', 'clock', 'keychain', 'state', 'shell', 'kubeconfig', 'git', 'aws']));
    for (const check of report.checks) {
      expect(['pass', 'info']).toContain(check.status);
      expect(typeof check.summary).toBe('string');
    }
  });

  it('a missing shell line fails (78) and names the line for the rc file', async () => {
    const sandbox = sandboxFor(fake.issuer, 'aliases: [kubectl, psql]');
    writeFileSync(join(sandbox.dir, '.bashrc'), '# nothing of guard here\n');
    sandbox.env.SHELL = '/bin/bash';
    const result = await runGuard(['doctor'], sandbox.env);
    expect(result.code).toBe(78);
    // The fix calls this guard by its own path (the Node launcher or the binary), as the functions do.
    expect(result.stdout).toContain(`\n✗ shell functions (bash): kubectl, psql are not routed through guard in a new shell — fix: ${GUARD_BIN} shell-init --rc-line bash >> ~/.bashrc\n`);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('the older eval line still defines the functions, with a warning that it starts Node in every new shell', async () => {
    const sandbox = sandboxFor(fake.issuer, 'aliases: [kubectl]');
    writeFileSync(join(sandbox.dir, '.bashrc'), 'eval "$(guard shell-init bash)"\n');
    Object.assign(sandbox.env, { SHELL: '/bin/bash', PATH: `${dirname(GUARD_BIN)}:${sandbox.env.PATH}` });
    const { report } = await doctorJson(sandbox);
    expect(report.checks.find((check) => check.id === 'shell')).toEqual({
      id: 'shell',
      status: 'warn',
      summary: 'shell functions (bash): kubectl run through guard, but ~/.bashrc loads them with eval "$(guard shell-init bash)", which starts guard (Node) in every new shell',
      fix: `replace that line with the one from ${GUARD_BIN} shell-init --rc-line bash (a few ms instead)`,
    });
  });
});

describe('guard doctor: each failure class made real', () => {
  it('keychain gone (no Secret Service on the bus): exit 69, the keychain line fails with the fix', async () => {
    const bus = await startPrivateKeyring({ secretService: false });
    try {
      const sandbox = sandboxFor(fake.issuer);
      Object.assign(sandbox.env, bus.env);
      const { code, report } = await doctorJson(sandbox);
      expect(code).toBe(69);
      expect(failing(report).map((check) => check.id)).toEqual(['keychain']);
      expect(failing(report)[0]).toMatchObject({ exit_code: 69, fix: expect.stringMatching(/gnome-keyring|keyutils/) });
      expect(report.checks.find((check) => check.id === 'idp')?.status).toBe('pass');
    } finally {
      await bus.stop();
    }
  });

  it('keychain locked: exit 69, says so', async () => {
    const keyring = await startPrivateKeyring();
    try {
      keyring.lock();
      expect(keyring.locked()).toBe(true);
      const sandbox = sandboxFor(fake.issuer);
      Object.assign(sandbox.env, keyring.env);
      const { code, report } = await doctorJson(sandbox);
      expect(code).toBe(69);
      expect(failing(report)).toHaveLength(1);
      expect(failing(report)[0]!.summary).toMatch(/keychain .*locked/);
    } finally {
      await keyring.stop();
    }
  });

  it('IdP down: exit 69, the IdP line fails', async () => {
    const sandbox = sandboxFor(`http://127.0.0.1:${await freePort()}`);
    const { code, report } = await doctorJson(sandbox);
    expect(code).toBe(69);
    expect(failing(report).map((check) => check.id)).toEqual(['idp']);
    expect(failing(report)[0]!.summary).toMatch(/refused the connection/);
  });

  it('IdP whose discovery names another issuer: exit 69', async () => {
    fake.set('discovery', (x) => x.json(200, { issuer: 'https://evil.example.com', device_authorization_endpoint: `${fake.issuer}/device/auth` }));
    try {
      const { code, report } = await doctorJson(sandboxFor(fake.issuer));
      expect(code).toBe(69);
      expect(failing(report)[0]!.summary).toMatch(/names another issuer \(https:\/\/evil\.example\.com\)/);
    } finally {
      fake.reset();
    }
  });

  it('untrusted project file: exit 78, the fix is guard trust', async () => {
    const sandbox = sandboxFor(fake.issuer);
    const project = join(sandbox.dir, 'repo');
    mkdirSync(project);
    writeFileSync(join(project, '.guard.yaml'), 'version: 1\nrules:\n  - name: all\n    match: "**"\n    tier: standard\n');
    const { code, report } = await doctorJson(sandbox, { cwd: project });
    expect(code).toBe(78);
    expect(failing(report)).toEqual([expect.objectContaining({ id: 'config', exit_code: 78, fix: `review it, then: guard trust ${join(project, '.guard.yaml')}` })]);
    expect((await runGuard(['trust'], sandbox.env, { cwd: project })).code).toBe(0);
    expect((await doctorJson(sandbox, { cwd: project })).code).toBe(0);
  });

  it('invalid config: exit 78 with file:line', async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, fake.issuer, { tiers: '  standard: { idle: soon }' }));
    const { code, report } = await doctorJson(sandbox);
    expect(code).toBe(78);
    expect(failing(report)[0]!.summary).toMatch(/config\.yaml:\d+:\d+: /);
  });

  it('central policy: never fetched fails (69, fix guard policy pull); once pulled, its signature and age pass', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    const iat = Math.floor(Date.now() / 1000);
    const payload = { version: 1, tiers: { privileged: { idle: '15m' } }, iat, exp: iat + 3600 };
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(privateKey);
    const server = createServer((_req, res) => void res.writeHead(200, { 'content-type': 'application/jose' }).end(jws));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const sandbox = sandboxFor(fake.issuer);
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/policy.jws`;
      writeFileSync(sandbox.env.GUARD_SYSTEM_POLICY!, `version: 1\npolicy_url: ${url}\npolicy_keys: [${JSON.stringify(jwk)}]\n`);
      const before = await doctorJson(sandbox);
      expect(before.code).toBe(69);
      expect(failing(before.report)).toEqual([expect.objectContaining({ id: 'policy', exit_code: 69, fix: expect.stringContaining('guard policy pull') })]);
      expect(failing(before.report)[0]!.summary).toContain(`central policy ${url}: not current (no valid copy has been fetched yet`);

      expect((await runGuard(['policy', 'pull'], sandbox.env)).code).toBe(0);
      const after = await doctorJson(sandbox);
      expect(after.code).toBe(0);
      expect(after.report.checks.find((check) => check.id === 'policy')?.summary).toMatch(new RegExp(`^central policy ${url.replace(/[.]/g, '\\.')}: signature verified \\(ES256, kid k1\\), fetched \\d+s ago, max_stale 1d$`));
    } finally {
      server.close();
    }
  });

  it('world-writable state folder: exit 77, the fix is chmod 700', async () => {
    const sandbox = sandboxFor(fake.issuer);
    mkdirSync(sandbox.stateDir, { mode: 0o700 });
    chmodSync(sandbox.stateDir, 0o777);
    const { code, report } = await doctorJson(sandbox);
    expect(code).toBe(77);
    expect(failing(report)).toEqual([expect.objectContaining({ id: 'state', exit_code: 77, fix: `chmod 700 ${sandbox.stateDir}` })]);
    expect(failing(report)[0]!.summary).toMatch(/world-writable \(mode 0777\)/);
  });

  it('a session file others can read inside a private folder: exit 77', async () => {
    const sandbox = sandboxFor(fake.issuer);
    mkdirSync(join(sandbox.stateDir, 'sessions'), { recursive: true, mode: 0o700 });
    writeFileSync(join(sandbox.stateDir, 'sessions', 'x.json'), '{}', { mode: 0o644 });
    chmodSync(join(sandbox.stateDir, 'sessions', 'x.json'), 0o644);
    const { code, report } = await doctorJson(sandbox);
    expect(code).toBe(77);
    expect(failing(report)[0]!.fix).toBe(`chmod 600 ${join(sandbox.stateDir, 'sessions', 'x.json')}`);
  });

  it('clock skewed: an IdP whose Date header is 10 minutes ahead fails the clock check (69)', async () => {
    const healthy = await fetch(`${fake.issuer}/.well-known/openid-configuration`).then((response) => response.json());
    fake.set('discovery', (x) => x.json(200, healthy, { date: new Date(Date.now() + 10 * 60_000).toUTCString() }));
    try {
      const { code, report } = await doctorJson(sandboxFor(fake.issuer));
      expect(code).toBe(69);
      expect(failing(report)).toEqual([expect.objectContaining({ id: 'clock', exit_code: 69 })]);
      expect(failing(report)[0]!.summary).toMatch(/^clock: this machine is (9m5\ds|10m) behind the IdP/);
    } finally {
      fake.reset();
    }
  });

  it('the first failure decides the exit code, in the order the checks are listed', async () => {
    const sandbox = sandboxFor(`http://127.0.0.1:${await freePort()}`);
    mkdirSync(sandbox.stateDir, { mode: 0o700 });
    chmodSync(sandbox.stateDir, 0o777);
    const { code, report } = await doctorJson(sandbox);
    expect(failing(report).map((check) => check.id)).toEqual(['idp', 'state']);
    expect(code).toBe(69);
    expect(report.exit_code).toBe(69);
  });
});
