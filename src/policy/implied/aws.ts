/**
 * The aws CLI's target (SPEC §14): `--profile=` and `--region=`. The
 * profile is `--profile` (any unambiguous prefix, as argparse reads it),
 * else AWS_PROFILE / AWS_DEFAULT_PROFILE, else `default`; the region is
 * `--region`, else AWS_REGION / AWS_DEFAULT_REGION, else the profile's
 * `region` in AWS_CONFIG_FILE (~/.aws/config; `$VAR` and `~` expanded) or the credentials file,
 * which botocore merges into the profile. The CLI's two majors disagree on
 * the environment (v1 reads AWS_DEFAULT_PROFILE before AWS_PROFILE and no
 * AWS_REGION; v2 the other way round), so where they could differ both
 * values are implied (fail closed). Checked against the real aws CLI
 * (test/integration/cloud-oracles.test.ts). Pure.
 */
import { isAbsolute, join } from 'node:path';
import { awsProfiles } from './aws-config-read.ts';
import { expandUser, showPath } from './home-dir.ts';
import { parseIni } from './ini-read.ts';
import type { ImpliedReader, ImpliedWord } from './implied-types.ts';

/** argparse's reading of one global option: `--name v`, `--name=v`, any prefix `--na`; the last wins, and an empty last value is none (the CLI tests `if args.profile`). */
export function argparseValue(argv: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 1; i < argv.length && argv[i] !== '--'; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(argv[i]!);
    if (!m || !name.startsWith(m[1]!)) continue;
    value = m[2] ?? (i + 1 < argv.length && !argv[i + 1]!.startsWith('-') ? argv[++i] : undefined);
  }
  return value || undefined;
}

/**
 * Python's os.path.expandvars: `$NAME` (ASCII word characters) and `${ANY}`
 * replaced by the variable's value, those that are not set left as written;
 * a value is not expanded again.
 *
 * @see https://docs.python.org/3/library/os.path.html#os.path.expandvars
 */
function expandVars(path: string, env: ImpliedReader['env']): string {
  return path.replace(/\$([A-Za-z0-9_]+|\{[^}]*\})/g, (whole, name: string) => env[name.startsWith('{') ? name.slice(1, -1) : name] ?? whole);
}

/** A config or credentials file as botocore's raw_config_parse finds it: variables, then `~`, then relative to the working directory; '' is no file. */
const expand = (path: string, reader: ImpliedReader) => {
  if (path === '') return undefined;
  const home = expandUser(expandVars(path, reader.env), reader.env, reader.home);
  return isAbsolute(home) ? home : join(reader.cwd, home);
};

export function awsWords(argv: readonly string[], needed: ReadonlySet<string>, reader: ImpliedReader): ImpliedWord[] {
  const { env } = reader;
  const words: ImpliedWord[] = [];
  const typedProfile = argparseValue(argv, 'profile');
  const profiles = typedProfile
    ? [{ value: typedProfile, source: 'argv (--profile)' }]
    : (['AWS_PROFILE', 'AWS_DEFAULT_PROFILE'] as const).flatMap((variable) => (env[variable] ? [{ value: env[variable]!, source: variable }] : []));
  if (profiles.length === 0) profiles.push({ value: 'default', source: 'aws default' });
  const unique = profiles.filter((profile, i) => profiles.findIndex((other) => other.value === profile.value) === i);
  if (needed.has('--profile')) for (const profile of unique) words.push({ name: '--profile', value: profile.value, source: profile.source });
  if (!needed.has('--region')) return words;

  const typedRegion = argparseValue(argv, 'region');
  if (typedRegion) return [...words, { name: '--region', value: typedRegion, source: 'argv (--region)' }];
  if (env.AWS_REGION) words.push({ name: '--region', value: env.AWS_REGION, source: 'AWS_REGION' });
  if (env.AWS_DEFAULT_REGION) return [...words, { name: '--region', value: env.AWS_DEFAULT_REGION, source: 'AWS_DEFAULT_REGION' }];
  // No region in the environment that every CLI reads: each profile's own.
  // A variable set to '' names no file (botocore takes it as it is, and finds nothing there).
  const files = [
    { path: expand(env.AWS_CONFIG_FILE ?? '~/.aws/config', reader), credentials: false },
    { path: expand(env.AWS_SHARED_CREDENTIALS_FILE ?? '~/.aws/credentials', reader), credentials: true },
  ].flatMap((file) => (file.path === undefined ? [] : [{ path: file.path, credentials: file.credentials }]));
  for (const profile of unique) {
    let region: { value: string; source: string } | undefined;
    for (const file of files) {
      const shown = showPath(file.path, reader);
      const read = reader.readText(file.path);
      if ('missing' in read) continue;
      const parsed = 'text' in read ? parseIni(read.text) : { problem: `cannot read ${shown} (${read.problem})` };
      if ('problem' in parsed) {
        words.push({ name: '--region', value: undefined, source: shown, problem: 'text' in read ? `the aws CLI refuses ${shown} (${parsed.problem})` : parsed.problem });
        region = undefined;
        break;
      }
      // The credentials file's values are merged over the config file's.
      const value = awsProfiles(parsed.sections, file.credentials).get(profile.value)?.get('region');
      if (value) region = { value, source: `${shown} [${profile.value}]` };
    }
    if (region) words.push({ name: '--region', value: region.value, source: region.source });
  }
  return words;
}
