/**
 * `guard init` (SPEC §12) as a new user meets it: at a real terminal (tmux),
 * answering the prompts with send-keys against the real test IdP and
 * signing in at once; from flags in a script; and against IdPs that cannot
 * serve guard (no device grant, down, another issuer), where nothing may be
 * written. An existing config is never replaced silently.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startIdp } from '../support/idp.ts';
import { startFakeIdp } from '../support/fake-idp.ts';
import { spawn } from 'node:child_process';
import { collect, createSandbox, GUARD_BIN, runGuard, runWithApproval, type Sandbox } from '../support/guard.ts';
import { startPrivateKeyring } from '../support/private-keyring.ts';
import { readKeychain } from '../support/keychain.ts';
import { freePort } from '../support/net.ts';
import { shellQuote, TmuxPane } from '../support/tmux.ts';
// @ts-expect-error: plain ESM helper shared with the demo and the benchmark
import { approveDevice, findVerificationUrl } from '../../scripts/lib/approve.mjs';
import { useServer } from '../support/use-server.ts';

const idp = useServer(() => startIdp());
const fake = useServer(() => startFakeIdp());
afterEach(() => {
  fake.reset();
  for (const pane of panes.splice(0)) pane.kill();
});

const panes: TmuxPane[] = [];

/** A sandbox without a config, a bash login shell, `helm` and `aws` on PATH (stubs) and a kubeconfig with two contexts. */
function newUser(): Sandbox {
  const sandbox = createSandbox();
  const tools = join(sandbox.dir, 'tools');
  mkdirSync(tools);
  for (const tool of ['helm', 'aws']) {
    writeFileSync(join(tools, tool), '#!/bin/sh\nexit 0\n');
    chmodSync(join(tools, tool), 0o755);
  }
  const kubeconfig = join(sandbox.dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    ['apiVersion: v1', 'kind: Config', 'clusters:', '  - name: prod', '    cluster: { server: "HTTPS://Prod.Example.com:443/" }', '  - name: dev', '    cluster: { server: "https://dev.example.com" }', 'contexts:', '  - name: prod-eu', '    context: { cluster: prod, user: alice }', '  - name: dev', '    context: { cluster: dev, user: alice }', 'users:', '  - name: alice', '    user: { token: x }', ''].join('\n'),
  );
  Object.assign(sandbox.env, { PATH: `${tools}:${process.env.PATH}`, SHELL: '/bin/bash', KUBECONFIG: kubeconfig });
  return sandbox;
}

const flags = (issuer: string) => ['init', '--issuer', issuer, '--client-id', 'guard-cli', '--yes'];

describe('guard init at a terminal', () => {
  it('asks for the IdP, checks it, proposes tiers, rules and aliases, writes a config that passes config check, and signs in', async () => {
    const sandbox = newUser();
    const pane = new TmuxPane(sandbox, `${shellQuote(GUARD_BIN)} init`);
    panes.push(pane);
    await pane.waitFor(/Issuer URL of your identity provider/);
    pane.keys('-l', idp.issuer);
    pane.keys('Enter');
    await pane.waitFor(/Client ID/);
    pane.keys('Enter'); // the default, guard-cli
    await pane.waitFor(/Guard these tools/);
    const checks = pane.screen();
    expect(checks).toContain(`✓ issuer matches (${idp.issuer})`);
    expect(checks).toContain('✓ device grant offered');
    expect(checks).toContain('✓ revocation endpoint');
    expect(checks).toMatch(/client_id guard-cli: cannot be verified without signing in/);
    expect(checks).toMatch(/Found on PATH: .*kubectl.*helm/);
    pane.keys('Enter'); // every tool found stays ticked
    await pane.waitFor(/IAM role the aws CLI should get credentials for through guard/);
    pane.keys('-l', 'arn:aws:iam::111122223333:role/dev');
    pane.keys('Enter');
    await pane.waitFor(/AWS region whose STS guard calls/);
    pane.keys('Enter'); // the default
    await pane.waitFor(/Write it to .*config\.yaml\?/);
    pane.keys('Enter');
    expect(await pane.waitFor(/Sign in now\?/)).toContain('✓ wrote');
    pane.keys('Enter');
    const device = await pane.waitFor(/user_code=\S+/);
    await approveDevice(findVerificationUrl(device));
    expect(await pane.exitCode()).toBe(0);
    const screen = pane.screen();
    expect(screen).toContain(`signed in as alice@example.test (profile ${sandbox.profile})`); // the readable name from the ID token
    // The rc line comes from this guard by its own path, like the functions it defines.
    expect(screen).toContain(`${GUARD_BIN} shell-init --rc-line bash >> ~/.bashrc`);
    expect(screen).toContain('guard kubeconfig --context prod-eu');
    expect(screen).toContain('guard kubeconfig --context dev');
    expect(screen).toContain(`edited: ${join(sandbox.dir, '.aws', 'config')}`);
    expect(readFileSync(join(sandbox.dir, '.aws', 'config'), 'utf8')).toBe(`[default]\ncredential_process = ${GUARD_BIN} aws-credential --role-arn arn:aws:iam::111122223333:role/dev --profile ${sandbox.profile}\n`);

    const written = readFileSync(sandbox.configPath, 'utf8');
    expect(written).toMatch(/^# guard configuration, written by `guard init`/);
    expect(written).toContain('privileged: { idle: 15m, max_session: 8h, reauth_within: 10m, confirm: true }');
    expect(written).toContain('standard: { idle: 45m, max_session: 12h }');
    expect(written).toContain('match: "helm ** --kube-context=*prod* **"');
    expect(written).toMatch(/^aliases: \[kubectl, .*helm.*\]$/m);
    expect(written).toContain('    aws_region: "us-east-1"');
    expect((await runGuard(['config', 'check'], sandbox.env)).code).toBe(0);
    expect((await readKeychain(sandbox.profile))?.access_token).toBeTruthy();
    // The proposed rule does what it says: prod kubectl is privileged, dev is not.
    const tierOf = async (context: string) => JSON.parse((await runGuard(['explain', '--json', '--', 'kubectl', 'get', 'pods', `--context=${context}`], sandbox.env)).stdout).tier;
    expect(await tierOf('prod-eu')).toBe('privileged');
    expect(await tierOf('dev')).toBe('standard');
  });

  it('asks before replacing an existing config, and keeps it when the answer is no', async () => {
    const sandbox = newUser();
    sandbox.writeConfig('# mine\nversion: 1\n');
    const pane = new TmuxPane(sandbox, `${shellQuote(GUARD_BIN)} init`);
    panes.push(pane);
    await pane.waitFor(/already exists\. Replace it\?/);
    pane.keys('Enter'); // the default is no
    expect(await pane.exitCode()).toBe(130);
    expect(pane.screen()).toMatch(/guard: kept .*; nothing was written/);
    expect(readFileSync(sandbox.configPath, 'utf8')).toBe('# mine\nversion: 1\n');
  });
});

describe('guard init from flags (no terminal)', () => {
  it('--yes writes a commented config that passes config check, and says what to do next', async () => {
    const sandbox = newUser();
    const result = await runGuard(flags(idp.issuer), sandbox.env);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('✓ device grant offered');
    expect(result.stderr).toMatch(/Next:\n {2}guard login/);
    const written = readFileSync(sandbox.configPath, 'utf8');
    expect(written).toContain(`  ${sandbox.profile}:`);
    expect(written).toContain(`issuer: "${idp.issuer}"`);
    expect(written.split('\n').filter((line) => line.trimStart().startsWith('#')).length).toBeGreaterThan(5);
    const check = await runGuard(['config', 'check', '--json'], sandbox.env);
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ valid: true, issues: [] });
  });

  it('with aws on PATH, --aws-role-arn points an AWS profile at guard, with the region in the profile; without it, a next step says how', async () => {
    const sandbox = newUser();
    const result = await runGuard([...flags(idp.issuer), '--aws-role-arn', 'arn:aws:iam::111122223333:role/ops', '--aws-profile', 'ops', '--aws-region', 'eu-west-1'], sandbox.env);
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(sandbox.configPath, 'utf8')).toContain('    aws_region: "eu-west-1"');
    expect(readFileSync(join(sandbox.dir, '.aws', 'config'), 'utf8')).toBe(`[profile ops]\ncredential_process = ${GUARD_BIN} aws-credential --role-arn arn:aws:iam::111122223333:role/ops --profile ${sandbox.profile}\n`);
    expect(result.stderr).toContain('  AWS profile ops: credentials from guard aws-credential for arn:aws:iam::111122223333:role/ops (STS in eu-west-1)');
    const plain = newUser();
    const next = await runGuard(flags(idp.issuer), plain.env);
    expect(next.stderr).toContain('guard aws-config --aws-profile NAME --role-arn ARN');
    expect(existsSync(join(plain.dir, '.aws'))).toBe(false);
  });

  it('proposes a rule on the server of each production context (SPEC §14) and the guard kubeconfig lines without --tier', async () => {
    const sandbox = newUser();
    const result = await runGuard(flags(idp.issuer), sandbox.env);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('privileged: the cluster at https://prod.example.com (prod-eu), by its server');
    expect(result.stderr).toMatch(/guard kubeconfig --context prod-eu +# kubectl, k9s, helm… get their token from guard, at its cluster's rule's tier/);
    expect(result.stderr).not.toMatch(/guard kubeconfig .*--tier/);
    const written = readFileSync(sandbox.configPath, 'utf8');
    expect(written).toContain('match: "kubectl ** --server=https://prod.example.com"');
    // The rule holds for another context on that server, for -s, and for the exec plugin.
    for (const argv of [['kubectl', '--context', 'prod-eu', 'get', 'pods'], ['kubectl', '-s', 'https://PROD.example.com.', 'get', 'pods'], ['kube-credential', 'https://prod.example.com:443/']]) {
      const explained = await runGuard(['explain', '--', ...argv], sandbox.env);
      expect(explained.stdout, argv.join(' ')).toMatch(/rule:\s+prod-cluster /);
      expect(explained.stdout).toContain('effective tier: privileged');
    }
    const devExplained = await runGuard(['explain', '--', 'kubectl', '--context', 'dev', 'get', 'pods'], sandbox.env);
    expect(devExplained.stdout).toContain('effective tier: standard');
  });

  it('in a script --issuer and --client-id are enough (SPEC §12: --yes is optional there)', async () => {
    const sandbox = newUser();
    const result = await runGuard(flags(idp.issuer).filter((word) => word !== '--yes'), sandbox.env);
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(sandbox.configPath, 'utf8')).toContain(`issuer: "${idp.issuer}"`);
    expect((await runGuard(['config', 'check'], sandbox.env)).code).toBe(0);
  });

  it('without a terminal and without enough flags: one usage line naming the flags (64), nothing written', async () => {
    const sandbox = newUser();
    for (const [args, missing] of [[['init'], '--issuer URL --client-id ID'], [['init', '--issuer', idp.issuer], '--client-id ID']] as const) {
      const result = await runGuard([...args], sandbox.env);
      expect(result.code).toBe(64);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(new RegExp(`^guard: guard init needs a terminal to ask, or these flags: ${missing} `));
    }
    expect((await runGuard(['init', '--client-id', 'x', '--yes'], sandbox.env)).stderr).toContain('--issuer URL');
    expect(existsSync(sandbox.configPath)).toBe(false);
  });

  it('refuses a plain-http issuer that is not on this machine (64)', async () => {
    const sandbox = newUser();
    const result = await runGuard(flags('http://idp.example.com'), sandbox.env);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(/--issuer must be an https:\/\/ URL/);
    expect(existsSync(sandbox.configPath)).toBe(false);
  });

  it('never replaces an existing config silently; --force replaces it and keeps a backup', async () => {
    const sandbox = newUser();
    const mine = '# hand-written\nversion: 1\n';
    sandbox.writeConfig(mine);
    const refused = await runGuard(flags(idp.issuer), sandbox.env);
    expect(refused.code).toBe(78);
    expect(refused.stderr).toMatch(/^guard: .*config\.yaml already exists; nothing was written .*--force/);
    expect(readFileSync(sandbox.configPath, 'utf8')).toBe(mine);

    const forced = await runGuard([...flags(idp.issuer), '--force'], sandbox.env);
    expect(forced.code).toBe(0);
    const backups = readdirSync(sandbox.dir).filter((name) => name.startsWith('config.yaml.bak-'));
    expect(backups).toHaveLength(1);
    expect(readFileSync(join(sandbox.dir, backups[0]!), 'utf8')).toBe(mine);
    expect(forced.stderr).toContain(backups[0]);
    expect(readFileSync(sandbox.configPath, 'utf8')).toContain('written by `guard init`');
  });
});

describe('guard init: the issuer as the discovery document names it', () => {
  it('a trailing / typed too many: the document decides, with a note, and the first sign-in works', async () => {
    const sandbox = newUser();
    const result = await runGuard(flags(`${idp.issuer}/`), sandbox.env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`using the issuer exactly as the discovery document names it: ${idp.issuer} (you typed ${idp.issuer}/)`);
    expect(result.stderr).toContain(`✓ issuer matches (${idp.issuer})`);
    expect(readFileSync(sandbox.configPath, 'utf8')).toContain(`issuer: "${idp.issuer}"`);
    const signedIn = await runWithApproval(['login'], sandbox.env);
    expect(signedIn.code, signedIn.stderr).toBe(0);
    await runGuard(['logout'], sandbox.env);
  });

  it('a trailing / left out where the document has one (as Auth0 names its issuers)', async () => {
    fake.set('discovery', (x) => x.json(200, { issuer: `${fake.issuer}/`, device_authorization_endpoint: `${fake.issuer}/device/auth`, token_endpoint: `${fake.issuer}/token` }));
    const sandbox = newUser();
    const result = await runGuard(flags(fake.issuer), sandbox.env);
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(sandbox.configPath, 'utf8')).toContain(`issuer: "${fake.issuer}/"`);
  });
});

describe('guard init on a machine without a usable keychain', () => {
  it('proposes the kernel keyring (store: keyutils) when the Secret Service is missing, so the first sign-in works', async () => {
    const bus = await startPrivateKeyring({ secretService: false });
    try {
      const sandbox = newUser();
      Object.assign(sandbox.env, bus.env);
      // One named session keyring shared by this test's guard processes, as a login shell has one.
      const keyring = `guard-init-${process.pid}`;
      const inKeyring = (args: string[]) => spawn('keyctl', ['session', keyring, GUARD_BIN, ...args], { env: sandbox.env, stdio: ['ignore', 'pipe', 'pipe'] });
      const init = await collect(inKeyring(flags(idp.issuer)));
      expect(init.code, init.stderr).toBe(0);
      expect(init.stderr).toMatch(/! keychain: .*; the kernel keyring \(keyutils\) works, so the config keeps the tokens there/);
      expect(readFileSync(sandbox.configPath, 'utf8')).toMatch(/^ {4}store: keyutils /m);
      expect((await runGuard(['config', 'check'], sandbox.env)).code).toBe(0);
      let approval: Promise<unknown> | undefined;
      const login = await collect(inKeyring(['login']), (stderr) => {
        const url = !approval && findVerificationUrl(stderr);
        if (url) approval = approveDevice(url);
      });
      await approval;
      expect(login.code, login.stderr).toBe(0);
      expect((await collect(inKeyring(['logout']))).code).toBe(0);
    } finally {
      await bus.stop();
    }
  });
});

describe('guard init against an IdP that cannot serve guard: exit 69, nothing written', () => {
  it('an IdP without the device grant', async () => {
    fake.set('discovery', (x) => x.json(200, { issuer: fake.issuer, token_endpoint: `${fake.issuer}/token`, jwks_uri: `${fake.issuer}/jwks`, grant_types_supported: ['authorization_code', 'refresh_token'] }));
    const sandbox = newUser();
    const result = await runGuard(flags(fake.issuer), sandbox.env);
    expect(result.code).toBe(69);
    expect(result.stderr).toContain('✗ no device_authorization_endpoint');
    expect(result.stderr).toMatch(/^guard: .*does not offer the device grant.*nothing was written$/m);
    expect(existsSync(sandbox.configPath)).toBe(false);
  });

  it('an IdP that is down', async () => {
    const sandbox = newUser();
    const result = await runGuard(flags(`http://127.0.0.1:${await freePort()}`), sandbox.env);
    expect(result.code).toBe(69);
    expect(result.stderr).toMatch(/^guard: the identity provider http:\/\/127\.0\.0\.1:\d+ refused the connection during discovery/m);
    expect(existsSync(sandbox.configPath)).toBe(false);
  });

  it('an IdP whose discovery document names another issuer (OIDC Discovery §4.3)', async () => {
    fake.set('discovery', (x) => x.json(200, { issuer: 'https://evil.example.com', device_authorization_endpoint: `${fake.issuer}/device/auth`, token_endpoint: `${fake.issuer}/token` }));
    const sandbox = newUser();
    const result = await runGuard(flags(fake.issuer), sandbox.env);
    expect(result.code).toBe(69);
    expect(result.stderr).toContain('✗ the discovery document names another issuer (https://evil.example.com)');
    expect(result.stderr).toMatch(/^guard: .*names another issuer.*nothing was written$/m);
    expect(existsSync(sandbox.configPath)).toBe(false);
  });
});
