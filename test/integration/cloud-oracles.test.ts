/**
 * The aws, gcloud and terraform resolvers against the real tools on this
 * machine (issue 22, SPEC §14), for generated argv × environment × files:
 * `aws configure list` (the profile and region it resolves, and from where),
 * `gcloud config get-value project` (the project; its note names the active
 * configuration), `terraform workspace show`. These CLIs start slowly
 * (Python, a Go binary with provider discovery), so the case counts are
 * smaller than psql's: enough to cover every source and its precedence.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { impliedWords } from '../../src/policy/implied/implied-words.ts';
import { systemImpliedReader } from '../../src/policy/implied/read-implied.ts';
import type { Deps } from '../../src/deps.ts';
import { mapLimit, oracleSeed, runProcess } from '../support/oracle.ts';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'guard-cloud-oracle-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const BASE_ENV = { PATH: process.env.PATH, LANG: 'C.UTF-8' };

async function resolved(argv: string[], env: NodeJS.ProcessEnv, cwd: string, needed: string[]) {
  const deps = { env, cwd, paths: { stateDir: join(root, 'state') }, now: () => Date.now() } as unknown as Deps;
  return impliedWords(argv, new Set(needed), systemImpliedReader(deps));
}
const valuesOf = (words: Awaited<ReturnType<typeof resolved>>, name: string) => words.filter((word) => word.name === name).map((word) => word.value);

const folder = (suite: string, i: number) => {
  const dir = join(root, `${suite}-${i}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

describe('aws resolver = the real aws CLI (differential)', () => {
  const PROFILES = ['default', 'prod', 'dev', 'nope'] as const;
  const REGION = fc.constantFrom('eu-west-1', 'us-east-2', 'ap-south-1');
  // [DEFAULT]'s options go to every section; option lines indented alike are options, not continuations (configparser).
  const section = fc.tuple(fc.constantFrom('[default]', '[profile prod]', '[profile dev]', '[profile  "dev"]', '[prod]', '[DEFAULT]'), fc.option(REGION, { nil: undefined }), fc.constantFrom(' = ', '=', ': '), fc.constantFrom('', '', '  '));
  const file = fc.uniqueArray(section, { selector: ([header]) => header.replace(/\s+"?|"/g, ''), maxLength: 3 }).map((sections) =>
    sections.map(([header, region, sep, indent]) => `${header}\n${indent}output = json\n${region ? `${indent}Region${sep}${region}\n` : ''}`).join('\n'),
  );
  const aws = fc.record({
    typed: fc.array(fc.tuple(fc.constantFrom('--profile', '--prof', '--p', '--region', '--reg'), fc.constantFrom(...PROFILES, 'eu-central-1'), fc.boolean()), { maxLength: 2 }),
    after: fc.boolean(),
    env: fc.record({ AWS_PROFILE: fc.option(fc.constantFrom(...PROFILES), { nil: undefined }), AWS_DEFAULT_PROFILE: fc.option(fc.constantFrom(...PROFILES), { nil: undefined }), AWS_DEFAULT_REGION: fc.option(REGION, { nil: undefined }), AWS_REGION: fc.option(REGION, { nil: undefined }) }),
    config: fc.option(file, { nil: undefined }),
    credentials: fc.option(file, { nil: undefined }),
    configVar: fc.boolean(),
  });
  const CASES = Number(process.env.GUARD_ORACLE_CASES_SLOW ?? 30);

  it(`agrees with aws configure list on ${CASES} generated cases`, async () => {
    const seed = oracleSeed('aws oracle', CASES);
    const failures: string[] = [];
    await mapLimit(fc.sample(aws, { seed, numRuns: CASES }), 4, async (c, i) => {
      const dir = folder('aws', i);
      mkdirSync(join(dir, '.aws'));
      const env: NodeJS.ProcessEnv = { ...BASE_ENV, HOME: dir, ...Object.fromEntries(Object.entries(c.env).filter(([, v]) => v !== undefined)) };
      const config = c.configVar ? join(dir, 'aws-config') : join(dir, '.aws', 'config');
      if (c.configVar) env.AWS_CONFIG_FILE = config;
      if (c.config !== undefined) writeFileSync(config, c.config);
      if (c.credentials !== undefined) writeFileSync(join(dir, '.aws', 'credentials'), c.credentials.replace(/\[profile\s+"?(\w+)"?\]/g, '[$1]'));
      const typed = c.typed.flatMap(([flag, value, joined]) => (joined ? [`${flag}=${value}`] : [flag, value]));
      const argv = c.after ? ['aws', 'configure', 'list', ...typed] : ['aws', ...typed, 'configure', 'list'];
      const out = await runProcess('aws', argv.slice(1), env);
      const words = await resolved(argv, env, dir, ['--profile', '--region']);
      const profiles = valuesOf(words, '--profile');
      const regions = valuesOf(words, '--region');
      const row = (name: string) => new RegExp(`^\\s*${name}\\s+(\\S+)\\s+(\\S+)`, 'm').exec(out.stdout);
      const problems: string[] = [];
      const notFound = /The config profile \((.*)\) could not be found/.exec(out.stderr);
      if (notFound) {
        if (!profiles.includes(notFound[1])) problems.push(`profile: aws ${notFound[1]} (not found), guard ${profiles.join(',')}`);
      } else if (out.code !== 0) {
        // The CLI refused a file (a repeated section): it reaches nothing. Were the region guard's to read there, it is unknown.
        if (!/ConfigParseError/.test(out.stderr)) problems.push(`aws failed: ${out.stderr}`);
      } else {
        const profile = row('profile')![1] === '<not' ? 'default' : row('profile')![1];
        if (!profiles.includes(profile)) problems.push(`profile: aws ${profile}, guard ${profiles.join(',')}`);
        // configure list shows the region of the environment or the files, never --region's; a typed --region is argv's own word.
        const region = row('region')![1] === '<not' ? undefined : row('region')![1];
        const typedRegion = words.find((word) => word.name === '--region' && word.source === 'argv (--region)');
        if (!typedRegion && region !== undefined && !regions.includes(region)) problems.push(`region: aws ${region}, guard ${regions.join(',')}`);
        if (!typedRegion && region === undefined && regions.length > 0) problems.push(`region: aws none, guard ${regions.join(',')}`);
      }
      if (problems.length > 0 && failures.length < 5) failures.push(`${JSON.stringify({ argv, env: c.env, config: c.config, credentials: c.credentials })}\n  ${problems.join('\n  ')}\n  ${out.stdout}${out.stderr}`);
    });
    expect(failures, `seed ${seed}`).toEqual([]);
  }, 600_000);
});

describe('gcloud resolver = the real gcloud (differential)', () => {
  const CONFIGS = ['default', 'prod', 'dev'] as const;
  const gcloud = fc.record({
    active: fc.option(fc.constantFrom(...CONFIGS, 'prod\n'), { nil: undefined }),
    projects: fc.record({ default: fc.option(fc.constantFrom('dev-1', 'my-prod'), { nil: undefined }), prod: fc.option(fc.constantFrom('my-prod', 'prod-2'), { nil: undefined }), dev: fc.option(fc.constant('dev-2'), { nil: undefined }) }),
    // A [DEFAULT] project (configparser gives it to [core]) and indented option lines.
    defaults: fc.option(fc.constantFrom('def-proj'), { nil: undefined }),
    indent: fc.constantFrom('', '  '),
    envConfig: fc.option(fc.constantFrom(...CONFIGS), { nil: undefined }),
    envProject: fc.option(fc.constantFrom('env-prod', 'env-dev'), { nil: undefined }),
    typedConfig: fc.option(fc.constantFrom(...CONFIGS), { nil: undefined }),
    typedProject: fc.option(fc.constantFrom('typed-prod'), { nil: undefined }),
    joined: fc.boolean(),
  });
  const CASES = Number(process.env.GUARD_ORACLE_CASES_SLOW ?? 20);

  it(`agrees with gcloud config get-value project on ${CASES} generated cases`, async () => {
    const seed = oracleSeed('gcloud oracle', CASES);
    const failures: string[] = [];
    await mapLimit(fc.sample(gcloud, { seed, numRuns: CASES }), 4, async (c, i) => {
      const dir = folder('gcloud', i);
      mkdirSync(join(dir, 'configurations'));
      if (c.active !== undefined) writeFileSync(join(dir, 'active_config'), c.active);
      for (const [name, project] of Object.entries(c.projects)) {
        const core = `[core]\n${c.indent}account = a@example.com\n${project ? `${c.indent}project = ${project}\n` : ''}`;
        writeFileSync(join(dir, 'configurations', `config_${name}`), `${c.defaults ? `[DEFAULT]\nproject = ${c.defaults}\n\n` : ''}${core}`);
      }
      const env: NodeJS.ProcessEnv = { ...BASE_ENV, HOME: dir, CLOUDSDK_CONFIG: dir, CLOUDSDK_CORE_DISABLE_PROMPTS: '1', ...(c.envConfig ? { CLOUDSDK_ACTIVE_CONFIG_NAME: c.envConfig } : {}), ...(c.envProject ? { CLOUDSDK_CORE_PROJECT: c.envProject } : {}) };
      const flag = (name: string, value: string | undefined) => (value === undefined ? [] : c.joined ? [`--${name}=${value}`] : [`--${name}`, value]);
      const argv = ['gcloud', ...flag('configuration', c.typedConfig), 'config', 'get-value', 'project', ...flag('project', c.typedProject)];
      const out = await runProcess('gcloud', argv.slice(1), env);
      const words = await resolved(argv, env, dir, ['--project', '--configuration']);
      const project = out.stdout.trim() || undefined;
      const guardProject = valuesOf(words, '--project')[0];
      const problems: string[] = [];
      if (out.code !== 0) problems.push(`gcloud failed: ${out.stderr}`);
      if (project !== guardProject) problems.push(`project: gcloud ${project}, guard ${guardProject}`);
      const active = /Your active configuration is: \[([^\]]*)\]/.exec(out.stderr);
      if (active && active[1] !== valuesOf(words, '--configuration')[0]) problems.push(`configuration: gcloud ${JSON.stringify(active[1])}, guard ${JSON.stringify(valuesOf(words, '--configuration')[0])}`);
      if (problems.length > 0 && failures.length < 5) failures.push(`${JSON.stringify({ argv, c })}\n  ${problems.join('\n  ')}`);
    });
    expect(failures, `seed ${seed}`).toEqual([]);
  }, 600_000);
});

describe('terraform resolver = the real terraform (differential)', () => {
  const terraform = fc.record({
    chdir: fc.constantFrom(undefined, 'infra', './infra/'),
    dataDir: fc.constantFrom(undefined, 'data', '.tfdata'),
    absoluteDataDir: fc.boolean(),
    environment: fc.option(fc.constantFrom('prod', 'prod\n', '  staging  \n', '', 'default'), { nil: undefined }),
    workspace: fc.option(fc.constantFrom('from-env', ''), { nil: undefined }),
  });
  const CASES = Number(process.env.GUARD_ORACLE_CASES_SLOW ?? 40);

  it(`agrees with terraform workspace show on ${CASES} generated cases`, async () => {
    const seed = oracleSeed('terraform oracle', CASES);
    const failures: string[] = [];
    await mapLimit(fc.sample(terraform, { seed, numRuns: CASES }), 4, async (c, i) => {
      const dir = folder('terraform', i);
      const work = c.chdir ? join(dir, 'infra') : dir;
      mkdirSync(work, { recursive: true });
      const dataDir = c.dataDir === undefined ? join(work, '.terraform') : c.absoluteDataDir ? join(dir, c.dataDir) : join(work, c.dataDir);
      mkdirSync(dataDir, { recursive: true });
      if (c.environment !== undefined) writeFileSync(join(dataDir, 'environment'), c.environment);
      const env: NodeJS.ProcessEnv = { ...BASE_ENV, HOME: dir, TF_CLI_CONFIG_FILE: '/dev/null', CHECKPOINT_DISABLE: '1', ...(c.dataDir !== undefined ? { TF_DATA_DIR: c.absoluteDataDir ? dataDir : c.dataDir } : {}), ...(c.workspace !== undefined ? { TF_WORKSPACE: c.workspace } : {}) };
      const argv = ['terraform', ...(c.chdir ? [`-chdir=${c.chdir}`] : []), 'workspace', 'show'];
      const out = await runProcess('terraform', argv.slice(1), env, { cwd: dir });
      const words = await resolved(argv, env, dir, ['--workspace']);
      const shown = out.stdout.trim();
      if ((out.code !== 0 || shown !== valuesOf(words, '--workspace')[0]) && failures.length < 5) failures.push(`${JSON.stringify({ argv, c })}: terraform ${JSON.stringify(shown)} (${out.code}: ${out.stderr.trim()}), guard ${JSON.stringify(valuesOf(words, '--workspace'))}`);
    });
    expect(failures, `seed ${seed}`).toEqual([]);
  }, 600_000);
});
