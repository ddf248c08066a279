/**
 * Rules that cannot be sidestepped (issue 13, SPEC §2) end to end: the
 * issue's four kubectl commands and `PGHOST=prod-db psql` through the built
 * guard, a fake kubectl/psql first on PATH (they print their argv), a real
 * kubeconfig switched with the real `kubectl config use-context`, the real
 * IdP and keychain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startIdp, type Idp } from '../support/idp.ts';
import { configFor, createSandbox, login, runGuard, type Sandbox } from '../support/guard.ts';

const REAL_KUBECTL = '/usr/bin/kubectl';

let idp: Idp;
let sandbox: Sandbox;
let kubeconfig: string;
let env: NodeJS.ProcessEnv;

const KUBECONFIG_TEXT = `apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster: { server: "https://prod.example.invalid" }
- name: staging
  cluster: { server: "https://staging.example.invalid" }
users:
- name: me
  user: {}
contexts:
- name: prod-eu
  context: { cluster: prod, user: me, namespace: payments }
- name: staging
  context: { cluster: staging, user: me }
current-context: staging
`;

const events = () => readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

function useContext(name: string): void {
  const result = spawnSync(REAL_KUBECTL, ['config', 'use-context', name], { env: { PATH: '/usr/bin:/bin', HOME: sandbox.dir, KUBECONFIG: kubeconfig }, encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  expect(result.stdout).toContain(`Switched to context "${name}"`);
}

// HOME is the sandbox folder: guard shows the kubeconfig as ~/kube/config.
/** `guard run --no-prompt -- ARGV`: the fake program's output, guard's stderr, and the audit line of the run. */
async function run(argv: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const result = await runGuard(['run', '--no-prompt', '--', ...argv], { ...env, ...extraEnv });
  expect(result.code, result.stderr).toBe(0);
  const exit = events().at(-1)!;
  expect(exit).toMatchObject({ event: 'command_exit', command: argv[0] });
  return { stdout: result.stdout, stderr: result.stderr, tier: exit.tier, rules: exit.rules, implied: exit.implied };
}

async function explain(argv: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const result = await runGuard(['explain', '--', ...argv], { ...env, ...extraEnv });
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

beforeAll(async () => {
  expect(existsSync(REAL_KUBECTL), `the real kubectl must be at ${REAL_KUBECTL} (it is on this machine image, see RECIPES)`).toBe(true);
  idp = await startIdp();
  sandbox = createSandbox();
  const bin = join(sandbox.dir, 'bin');
  mkdirSync(bin);
  for (const program of ['kubectl', 'psql']) {
    writeFileSync(join(bin, program), `#!/bin/sh\necho "fake ${program} $*"\n`);
    chmodSync(join(bin, program), 0o755);
  }
  kubeconfig = join(sandbox.dir, 'kube', 'config');
  mkdirSync(join(sandbox.dir, 'kube'));
  writeFileSync(kubeconfig, KUBECONFIG_TEXT);
  env = { ...sandbox.env, PATH: `${bin}:${sandbox.env.PATH}`, KUBECONFIG: kubeconfig };
  sandbox.writeConfig(
    configFor(sandbox, idp.issuer, {
      tiers: '  privileged: { idle: 15m, max_session: 8h, reauth_within: 10m }\n  standard: { idle: 45m, max_session: 12h }',
      rules: ['  - name: prod-kube', '    match: "kubectl ** --context=prod*"', '    tier: privileged', '  - name: prod-db', '    match: "psql ** --host=*prod*"', '    tier: privileged'].join('\n'),
    }),
  );
  await login(sandbox);
}, 60_000);

afterAll(async () => {
  await runGuard(['logout'], sandbox.env);
  await idp?.stop();
});

describe('the issue\'s four commands are privileged (guard run --no-prompt, fake kubectl)', () => {
  it.each([
    [['kubectl', 'get', 'pods', '--context=prod-eu']],
    [['kubectl', '--context=prod-eu', 'delete', 'pod', 'x']],
    [['kubectl', '--context', 'prod-eu', 'delete', 'pod', 'x']],
  ])('%j', async (argv) => {
    const result = await run(argv);
    expect(result.stdout).toBe(`fake ${argv.join(' ')}\n`);
    expect(result).toMatchObject({ tier: 'privileged', rules: ['prod-kube'] });
    expect(await explain(argv)).toContain('effective tier: privileged');
  });

  it('kubectl config use-context prod-eu; kubectl delete pod x', async () => {
    useContext('prod-eu');
    const prod = await run(['kubectl', 'delete', 'pod', 'x']);
    expect(prod.stdout).toBe('fake kubectl delete pod x\n');
    expect(prod).toMatchObject({ tier: 'privileged', rules: ['prod-kube'], implied: [`--context=prod-eu from ~/kube/config`] });
    const explained = await explain(['kubectl', 'delete', 'pod', 'x']);
    expect(explained).toContain(`implied:  --context=prod-eu from ~/kube/config\n`);
    expect(explained).toContain('rule:     prod-kube  "kubectl ** --context=prod*" → privileged');
    expect(explained).toContain('effective tier: privileged');

    // Switching back is seen at once (the kubeconfig cache is keyed by mtime and size, and never trusted while racy).
    useContext('staging');
    expect(await run(['kubectl', 'delete', 'pod', 'x'])).toMatchObject({ tier: 'standard', rules: [], implied: [`--context=staging from ~/kube/config`] });
    useContext('prod-eu');
    expect(await run(['kubectl', 'delete', 'pod', 'x'])).toMatchObject({ tier: 'privileged', rules: ['prod-kube'] });
    // A typed context wins over the current one (v3: it is the target's word, from argv).
    expect(await run(['kubectl', '--context', 'staging', 'delete', 'pod', 'x'])).toMatchObject({ tier: 'standard', implied: ['--context=staging from argv'] });
    useContext('staging');
  });

  it('caches what it read from the kubeconfig once the file is no longer racy', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await run(['kubectl', 'get', 'pods'])).toMatchObject({ tier: 'standard' });
    const cached = readdirSync(join(sandbox.stateDir, 'cache')).filter((name) => name.startsWith('kube-'));
    expect(cached.length).toBeGreaterThan(0);
    expect(await run(['kubectl', 'get', 'pods'])).toMatchObject({ tier: 'standard', implied: [`--context=staging from ~/kube/config`] });
  });

  it('a kubeconfig guard cannot read makes the rule apply, with a one-line note', async () => {
    const broken = join(sandbox.dir, 'broken.yaml');
    writeFileSync(broken, 'contexts: [\n');
    const result = await run(['kubectl', 'delete', 'pod', 'x'], { KUBECONFIG: broken });
    expect(result).toMatchObject({ tier: 'privileged', rules: ['prod-kube'] });
    expect(result.stderr).toMatch(new RegExp(`^guard: note: implied --context=\\? \\(cannot read ~/broken\\.yaml \\(not valid YAML[^\\n]*; rules on --context apply\\)\\n$`));
  });
});

describe('psql takes its host from PGHOST', () => {
  it('PGHOST=prod-db psql is privileged; another host is not; a typed host wins', async () => {
    const prod = await run(['psql', '-c', 'select 1'], { PGHOST: 'prod-db' });
    expect(prod).toMatchObject({ stdout: 'fake psql -c select 1\n', tier: 'privileged', rules: ['prod-db'], implied: ['--host=prod-db from PGHOST'] });
    expect(await explain(['psql', '-c', 'select 1'], { PGHOST: 'prod-db' })).toContain('implied:  --host=prod-db from PGHOST\n');
    expect(await run(['psql', '-c', 'select 1'], { PGHOST: 'staging-db' })).toMatchObject({ tier: 'standard', rules: [] });
    expect(await run(['psql', '-h', 'localhost'], { PGHOST: 'prod-db' })).toMatchObject({ tier: 'standard', rules: [] });
    expect(await run(['psql', '-h', 'prod-db'])).toMatchObject({ tier: 'privileged', rules: ['prod-db'] });
  });
});

describe('config check warns about rules that can still be sidestepped', () => {
  it('names the file and line of an em-dash flag word and of a prod word that only a plain word guards; exit 0', async () => {
    const file = join(sandbox.dir, 'sidestep.yaml');
    writeFileSync(
      file,
      configFor(sandbox, idp.issuer, {
        tiers: '  privileged: { idle: 15m }\n  standard: { idle: 45m }',
        rules: ['  - name: typo', '    match: "kubectl ** \u2014context=prod*"', '    tier: privileged', '  - name: plain', '    match: "kubectl ** prod*"', '    tier: privileged'].join('\n'),
      }),
    );
    const result = await runGuard(['config', 'check', file], env);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toBe(`guard: ${file}:12:5: warning: rule "typo": "\u2014context=prod*" starts with an em dash (U+2014), not "-": it is no flag word and matches only that exact text; write "--context=prod*"`);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^guard: ${file.replace(/[.]/g, '\\.')}:15:5: warning: rule "plain": "prod\\*" is a plain word`)));
    expect(lines.at(-1)).toMatch(/^guard: configuration is valid/);
  });
});
