/**
 * Doctor: AWS profiles that get their credentials from `guard aws-credential`
 * (SPEC §15). Such a profile must run a guard that can be started — this
 * one, not an old copy elsewhere — and must not have long-lived keys or
 * another credential source that the aws CLI would use instead (in
 * ~/.aws/credentials above all: botocore reads it over the config file).
 */
import { realpathSync } from 'node:fs';
import { escapeControl } from '../util/text.ts';
import { COMPETING_KEYS, PROCESS_KEY, STATIC_KEYS } from '../integrations/aws/aws-config-edit.ts';
import { awsFiles, readAwsFile } from '../integrations/aws/aws-config-file.ts';
import { configProfiles, credentialsSections, parseIni, splitCommandLine, type IniFile } from '../integrations/aws/ini.ts';
import { runnablePath } from './runnable.ts';
import { shellLine, shellWord } from '../util/shell-quote.ts';
import type { CheckResult } from './check.ts';

const real = (path: string | undefined): string | undefined => {
  try {
    return path ? realpathSync(path) : undefined;
  } catch {
    return undefined;
  }
};

function read(file: string): IniFile | string {
  try {
    return parseIni(readAwsFile(file), file);
  } catch (error) {
    return (error as Error).message;
  }
}

/** Keys that, beside guard's credential_process, make the aws CLI take its credentials elsewhere. */
const OVERRIDING = new Set([...STATIC_KEYS, ...COMPETING_KEYS]);

/** `long-lived keys in ~/.aws/credentials and role_arn, source_profile in ~/.aws/config`. */
function describeWinners(winners: Array<{ key: string; file: string }>, show: (path: string) => string): string {
  const parts: string[] = [];
  for (const file of [...new Set(winners.map((w) => w.file))]) {
    const keys = [...new Set(winners.filter((w) => w.file === file).map((w) => w.key))];
    const settings = keys.filter((key) => !STATIC_KEYS.includes(key));
    const what = [...(settings.length < keys.length ? ['long-lived keys'] : []), ...settings].join(', ');
    parts.push(`${what} in ${show(file)}`);
  }
  return escapeControl(parts.join(' and '));
}

/** The --role-arn of guard aws-credential's arguments, as its option parser reads them (`--role-arn ARN`, `--role-arn=ARN`, the last wins). */
export function roleArnOf(args: readonly string[]): string | undefined {
  let role: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (word === '--') break;
    if (word === '--role-arn') role = args[++i];
    else if (word.startsWith('--role-arn=')) role = word.slice('--role-arn='.length);
  }
  return role;
}

export function checkAws(env: NodeJS.ProcessEnv, self: string | undefined, show: (path: string) => string): CheckResult[] {
  const files = awsFiles(env);
  const config = read(files.config);
  if (typeof config === 'string') return [{ id: 'aws', status: 'fail', class: 'config', summary: escapeControl(config), fix: 'fix the file (the aws CLI cannot read it either)' }];
  const credentials = read(files.credentials);
  const profiles = configProfiles(config);
  if (profiles.length === 0) return [{ id: 'aws', status: 'info', summary: `aws: no profiles in ${escapeControl(show(files.config))}; nothing to check` }];
  const me = real(self);
  const results: CheckResult[] = [];
  const unguarded: string[] = [];
  for (const { name, section } of profiles) {
    const line = section.entries.find((entry) => entry.key === 'credential_process')?.value;
    const words = line === undefined ? undefined : splitCommandLine(line);
    const at = words?.indexOf('aws-credential') ?? -1;
    if (!words || at < 1) {
      unguarded.push(name);
      continue;
    }
    const shown = escapeControl(name);
    const role = roleArnOf(words.slice(at + 1));
    const fix = `${shellLine(['guard', 'aws-config', '--aws-profile', name, '--role-arn'])} ${role === undefined ? 'ARN' : shellWord(role)}`;
    if (role === undefined) {
      results.push({ id: 'aws', status: 'fail', class: 'config', summary: `aws profile ${shown}: credential_process runs guard aws-credential without --role-arn, which it needs`, fix });
      continue;
    }
    const program = words[0]!;
    const runs = real(runnablePath(program, env));
    if (!runs) {
      results.push({ id: 'aws', status: 'fail', class: 'config', summary: `aws profile ${shown}: credential_process runs ${escapeControl(program)}, which cannot be started`, fix });
      continue;
    }
    // What guard aws-config moves out, from either file (botocore reads the credentials file's section over the config's).
    const winners = [
      ...(typeof credentials === 'string' ? [] : credentialsSections(credentials, name).flatMap((s) => s.entries).filter((e) => e.key === PROCESS_KEY || OVERRIDING.has(e.key)).map((e) => ({ key: e.key, file: files.credentials }))),
      ...section.entries.filter((e) => OVERRIDING.has(e.key)).map((e) => ({ key: e.key, file: files.config })),
    ];
    if (winners.length > 0) {
      results.push({ id: 'aws', status: 'warn', summary: `aws profile ${shown}: ${describeWinners(winners, show)} — the aws CLI uses them instead of guard`, fix: `${fix}   # moves them into a backup` });
    } else if (me && runs !== me) {
      results.push({ id: 'aws', status: 'warn', summary: `aws profile ${shown}: credential_process runs another guard (${escapeControl(runs)}), not this one (${escapeControl(me)})`, fix });
    } else {
      results.push({ id: 'aws', status: 'pass', summary: `aws profile ${shown} gets credentials from this guard (role ${escapeControl(role)})` });
    }
  }
  if (unguarded.length > 0) {
    results.push({ id: 'aws', status: 'info', summary: `aws: profile${unguarded.length === 1 ? '' : 's'} ${unguarded.map(escapeControl).join(', ')} ${unguarded.length === 1 ? 'does' : 'do'} not use guard`, fix: `to guard one: guard aws-config --aws-profile ${shellWord(unguarded[0]!)} --role-arn ARN` });
  }
  return results;
}
