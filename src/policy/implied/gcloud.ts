/**
 * gcloud's target (SPEC §14): `--project=` and `--configuration=`. The
 * configuration is `--configuration`, else CLOUDSDK_ACTIVE_CONFIG_NAME,
 * else the name in `active_config` under CLOUDSDK_CONFIG (~/.config/gcloud),
 * else `default`; the project is `--project`, else CLOUDSDK_CORE_PROJECT,
 * else `[core] project` of `configurations/config_NAME`; with `--flags-file`
 * both are unknown (gcloud reads flags from that YAML file). Checked against
 * the real gcloud (test/integration/cloud-oracles.test.ts). Pure.
 */
import { isAbsolute, join } from 'node:path';
import { expandUser, showPath } from './home-dir.ts';
import { parseIni } from './ini-read.ts';
import type { ImpliedReader, ImpliedWord } from './implied-types.ts';

/** gcloud's flags: `--name=v` or `--name v`, the last wins, up to `--`. */
function flagValue(argv: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 1; i < argv.length && argv[i] !== '--'; i++) {
    if (argv[i] === name && i + 1 < argv.length) value = argv[++i];
    else if (argv[i]!.startsWith(`${name}=`)) value = argv[i]!.slice(name.length + 1);
  }
  return value;
}

/** `--flags-file=F` or `--flags-file F` before `--`: gcloud takes more flags from that YAML file. */
function hasFlagsFile(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return argv.slice(1, end < 0 ? undefined : end).some((word) => word === '--flags-file' || word.startsWith('--flags-file='));
}

const FLAGS_FILE = 'gcloud reads more flags (--project, --configuration) from --flags-file, which guard does not read';

export function gcloudWords(argv: readonly string[], needed: ReadonlySet<string>, reader: ImpliedReader): ImpliedWord[] {
  const { env } = reader;
  const words: ImpliedWord[] = [];
  if (hasFlagsFile(argv)) {
    return ['--configuration', '--project'].filter((name) => needed.has(name)).map((name) => ({ name, value: undefined, source: 'argv (--flags-file)', problem: FLAGS_FILE }));
  }
  const configDir = env.CLOUDSDK_CONFIG ? (isAbsolute(env.CLOUDSDK_CONFIG) ? env.CLOUDSDK_CONFIG : join(reader.cwd, env.CLOUDSDK_CONFIG)) : join(expandUser('~', env, reader.home), '.config', 'gcloud');
  const show = (path: string) => showPath(path, reader);
  let configuration: { value: string; source: string } | { problem: string; source: string };
  const typed = flagValue(argv, '--configuration');
  if (typed) configuration = { value: typed, source: 'argv (--configuration)' };
  else if (env.CLOUDSDK_ACTIVE_CONFIG_NAME) configuration = { value: env.CLOUDSDK_ACTIVE_CONFIG_NAME, source: 'CLOUDSDK_ACTIVE_CONFIG_NAME' };
  else {
    const file = join(configDir, 'active_config');
    const read = reader.readText(file);
    if ('problem' in read) configuration = { problem: `cannot read ${show(file)} (${read.problem})`, source: show(file) };
    // Taken as written, a line break included, as gcloud does (it writes none).
    else configuration = 'text' in read && read.text ? { value: read.text, source: show(file) } : { value: 'default', source: 'gcloud default' };
  }
  if (needed.has('--configuration')) words.push('value' in configuration ? { name: '--configuration', ...configuration } : { name: '--configuration', value: undefined, ...configuration });
  if (!needed.has('--project')) return words;

  const project = flagValue(argv, '--project');
  if (project) return [...words, { name: '--project', value: project, source: 'argv (--project)' }];
  if (env.CLOUDSDK_CORE_PROJECT) return [...words, { name: '--project', value: env.CLOUDSDK_CORE_PROJECT, source: 'CLOUDSDK_CORE_PROJECT' }];
  if (!('value' in configuration)) return [...words, { name: '--project', value: undefined, ...configuration }];
  const file = join(configDir, 'configurations', `config_${configuration.value}`);
  const read = reader.readText(file);
  if ('missing' in read) return words;
  const parsed = 'text' in read ? parseIni(read.text) : { problem: `cannot read ${show(file)} (${read.problem})` };
  if ('problem' in parsed) return [...words, { name: '--project', value: undefined, source: show(file), problem: parsed.problem }];
  const value = parsed.sections.get('core')?.get('project');
  // gcloud's ConfigParser interpolates `%(name)s` and `%%` (and fails on any other `%`): such a value is not the project as written.
  if (value?.includes('%')) return [...words, { name: '--project', value: undefined, source: `${show(file)} [core]`, problem: 'gcloud interpolates "%" in the project' }];
  return value ? [...words, { name: '--project', value, source: `${show(file)} [core]` }] : words;
}
