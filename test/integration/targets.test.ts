/**
 * Issue 22's table, end to end through the built guard (`guard run
 * --no-prompt`, the real IdP and keychain): every psql line with the rules
 * `guard init` writes, `PGHOST=prod-db psql` under `psql *prod*`, git's
 * `url=https://GIT.EXAMPLE.COM/prod/app.git` through the real `git
 * credential fill`, and aws, gcloud and terraform. The privileged tier's
 * step-up is due (re-authentication older than 1 s), so a privileged
 * command exits 77 and never runs, while a standard one runs. Fake tools
 * first on PATH print their argv: the oracle suites prove the resolvers
 * against the real ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startIdp, type Idp } from '../support/idp.ts';
import { configFor, createSandbox, GUARD_BIN, login, runGuard, type Sandbox } from '../support/guard.ts';
import { runProcess } from '../support/oracle.ts';

let idp: Idp;
let sandbox: Sandbox;
let env: NodeJS.ProcessEnv;

const RULES: Array<[string, string]> = [
  ['prod-db', 'psql ** --host=*prod*'],
  ['prod-dbname', 'psql ** --dbname=*prod*'],
  ['prod-plain', 'psql *prod*'],
  ['prod-git', 'git-credential https://git.example.com/prod/*'],
  ['prod-aws', 'aws ** --profile=*prod* **'],
  ['prod-gcloud', 'gcloud ** --project=*prod* **'],
  ['prod-tf', 'terraform ** --workspace=prod*'],
];

beforeAll(async () => {
  idp = await startIdp();
  sandbox = createSandbox();
  const bin = join(sandbox.dir, 'bin');
  mkdirSync(bin);
  for (const program of ['psql', 'aws', 'gcloud', 'terraform']) {
    writeFileSync(join(bin, program), `#!/bin/sh\necho "fake ${program} $*"\n`);
    chmodSync(join(bin, program), 0o755);
  }
  writeFileSync(join(sandbox.dir, '.pg_service.conf'), '[prod]\nhost=prod-db\ndbname=app\n\n[dev]\nhost=dev-db\n');
  env = { ...sandbox.env, PATH: `${bin}:${sandbox.env.PATH}` };
  sandbox.writeConfig(
    configFor(sandbox, idp.issuer, {
      tiers: '  privileged: { idle: 15m, max_session: 8h, reauth_within: 1s }\n  standard: { idle: 45m, max_session: 12h }',
      rules: RULES.map(([name, match]) => `  - name: ${name}\n    match: ${JSON.stringify(match)}\n    tier: privileged`).join('\n'),
    }),
  );
  await login(sandbox);
  // The step-up of the privileged tier is now due: its re-authentication is older than 1 s.
  await new Promise((resolve) => setTimeout(resolve, 1_200));
}, 60_000);

afterAll(async () => {
  await runGuard(['logout'], sandbox.env);
  await idp?.stop();
});

const events = () => readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

/** `guard run --no-prompt -- ARGV`: privileged (77, not run) or standard (run), and what explain says. */
async function decide(argv: string[], extra: NodeJS.ProcessEnv = {}) {
  const result = await runGuard(['run', '--no-prompt', '--', ...argv], { ...env, ...extra });
  const explained = await runGuard(['explain', '--', ...argv], { ...env, ...extra });
  expect(explained.code, explained.stderr).toBe(0);
  return { code: result.code, stdout: result.stdout, stderr: result.stderr, explain: explained.stdout };
}

describe('issue 22: psql reaches prod, whatever the spelling (rules psql ** --host=*prod*, psql ** --dbname=*prod*)', () => {
  it.each<[string, string[], NodeJS.ProcessEnv, string]>([
    ['the first argument is the database', ['psql', 'prod_app'], {}, '--dbname=prod_app from argv'],
    ['getopt cluster, value apart', ['psql', '-Xh', 'prod-db'], {}, '--host=prod-db from argv (-h)'],
    ['getopt cluster, value attached', ['psql', '-Xhprod-db'], {}, '--host=prod-db from argv (-h)'],
    ['a connection string after -d', ['psql', '-d', 'host=prod-db dbname=app'], {}, '--host=prod-db from argv (-d, connection string)'],
    ['service= in a connection string', ['psql', 'service=prod'], {}, '--host=prod-db from ~/.pg_service.conf [prod]'],
    ['PGSERVICE', ['psql'], { PGSERVICE: 'prod' }, '--host=prod-db from ~/.pg_service.conf [prod]'],
    ['host names are case-insensitive', ['psql', '-h', 'PROD-db'], {}, '--host=PROD-db from argv (-h)'],
    ['PGHOST (also under the rule psql *prod*)', ['psql'], { PGHOST: 'prod-db' }, '--host=prod-db from PGHOST'],
  ])('%s: %j is privileged (77, not run)', async (_, argv, extra, implied) => {
    const result = await decide(argv, extra);
    expect(result.code, result.stderr).toBe(77);
    expect(result.stdout).toBe('');
    expect(result.explain).toContain(`  ${implied}\n`);
    expect(result.explain).toContain('effective tier: privileged');
  });

  it('PGHOST=prod-db psql matches the plain rule psql *prod* as --host=prod-db typed does', async () => {
    for (const [argv, extra] of [[['psql'], { PGHOST: 'prod-db' }], [['psql', '--host=prod-db'], {}]] as const) {
      expect((await decide([...argv], extra)).explain).toMatch(/rule: +prod-plain +"psql \*prod\*" → privileged/);
    }
  });

  it('another target stays standard and runs', async () => {
    for (const [argv, extra] of [[['psql', 'service=dev'], {}], [['psql', '-h', 'dev-db', 'app'], { PGHOST: 'prod-db' }], [['psql', '-c', 'select 1 -- host=prod-db'], {}]] as const) {
      const result = await decide([...argv], extra);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe(`fake ${argv.join(' ')}\n`);
    }
  });
});

describe('issue 22: git-credential url=https://GIT.EXAMPLE.COM/prod/app.git through the real git credential fill', () => {
  it.each([true, false])('credential.useHttpPath=%s: privileged, so no token (77) and an audit line naming the rule', async (useHttpPath) => {
    const args = ['-c', 'credential.helper=', '-c', `credential.helper=!${GUARD_BIN} git-credential`, '-c', `credential.useHttpPath=${useHttpPath}`, 'credential', 'fill'];
    const before = events().length;
    const result = await runProcess('git', args, { ...env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' }, { input: 'url=https://GIT.EXAMPLE.COM/prod/app.git\n\n' });
    expect(result.code).not.toBe(0);
    expect(result.stdout).not.toContain('password=');
    expect(result.stderr).toContain('guard: ');
    const denied = events().slice(before).filter((event) => event.command === 'git-credential');
    expect(denied.map((event) => event.event)).not.toContain('allowed');
    expect(denied.at(-1)).toMatchObject({ tier: 'privileged', rules: ['prod-git'] });
  });

  it('explain -- git-credential https://git.example.com/prod/app.git is privileged', async () => {
    const explained = await runGuard(['explain', '--', 'git-credential', 'https://GIT.EXAMPLE.COM/prod/app.git'], env);
    expect(explained.stdout).toContain('effective tier: privileged');
  });

  it('explain of the host alone decides as git-credential decides a request without a path (no credential.useHttpPath): privileged', async () => {
    for (const url of ['https://git.example.com', 'https://GIT.EXAMPLE.COM/']) {
      const explained = await runGuard(['explain', '--', 'git-credential', url], env);
      expect(explained.stdout, url).toContain('effective tier: privileged');
    }
    // A path that names another repository is that repository.
    expect((await runGuard(['explain', '--', 'git-credential', 'https://git.example.com/dev/app.git'], env)).stdout).not.toContain('effective tier: privileged');
  });
});

describe('issue 22: aws, gcloud and terraform', () => {
  it.each<[string[], NodeJS.ProcessEnv, string]>([
    [['aws', 's3', 'ls'], { AWS_PROFILE: 'prod' }, '--profile=prod from AWS_PROFILE'],
    [['gcloud', 'compute', 'instances', 'list'], { CLOUDSDK_CORE_PROJECT: 'my-prod' }, '--project=my-prod from CLOUDSDK_CORE_PROJECT'],
    [['terraform', 'apply'], { TF_WORKSPACE: 'prod' }, '--workspace=prod from TF_WORKSPACE'],
  ])('%j with %j is privileged', async (argv, extra, implied) => {
    const result = await decide(argv, extra);
    expect(result.code, result.stderr).toBe(77);
    expect(result.explain).toContain(`  ${implied}\n`);
  });

  it('gcloud config set project my-prod makes the next gcloud call privileged', async () => {
    const config = join(sandbox.dir, 'gcloud');
    mkdirSync(join(config, 'configurations'), { recursive: true });
    writeFileSync(join(config, 'active_config'), 'default');
    writeFileSync(join(config, 'configurations', 'config_default'), '[core]\nproject = my-prod\n');
    const result = await decide(['gcloud', 'run', 'deploy'], { CLOUDSDK_CONFIG: config });
    expect(result.code).toBe(77);
    expect(result.explain).toContain('--project=my-prod from ~/gcloud/configurations/config_default [core]');
  });

  it('another profile, project or workspace stays standard and runs', async () => {
    for (const [argv, extra] of [[['aws', 's3', 'ls'], { AWS_PROFILE: 'dev' }], [['gcloud', 'info'], { CLOUDSDK_CORE_PROJECT: 'dev-1' }], [['terraform', 'plan'], { TF_WORKSPACE: 'dev' }]] as const) {
      const result = await decide([...argv], extra);
      expect(result.code, result.stderr).toBe(0);
    }
  });
});
