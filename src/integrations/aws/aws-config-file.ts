/**
 * The files `guard aws-config` edits, as the aws CLI finds them: the config
 * file (`AWS_CONFIG_FILE`, else `~/.aws/config`) and the shared credentials
 * file (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`); and the
 * backup beside the config file, `FILE.guard-backup.json` (mode 0600: it
 * holds the keys guard moved out), which keeps per profile what `--undo`
 * needs.
 */
import { mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { GuardError } from '../../errors.ts';
import { writeFileAtomic } from '../../files/atomic-write.ts';
import { parseJsonObject, readPrivateFile } from '../../files/private-file.ts';
import type { SectionBackup } from './aws-config-edit.ts';

/** A path from the environment the way botocore expands it: `~` and `~/…` are the home folder. */
function expandHome(path: string, home: string): string {
  return path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path;
}

export interface AwsFiles {
  config: string;
  credentials: string;
}

/** The two files, resolved through symlinks where they exist (an edit must not replace a link with a copy). */
export function awsFiles(env: NodeJS.ProcessEnv): AwsFiles {
  const home = env.HOME || homedir();
  const resolve = (path: string) => {
    try {
      return realpathSync(path);
    } catch {
      return path;
    }
  };
  return {
    config: resolve(expandHome(env.AWS_CONFIG_FILE || join(home, '.aws', 'config'), home)),
    credentials: resolve(expandHome(env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials'), home)),
  };
}

/** The file's text; '' when it does not exist. */
export function readAwsFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return '';
    throw new GuardError('config', `cannot read ${file} (${code ?? 'error'}); fix its permissions`);
  }
}

/** Writes the file atomically (mode 0600, like the aws CLI's own files), making its folder (0700) if needed. */
export function writeAwsFile(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomic(file, text);
}

export interface ProfileBackup {
  config: SectionBackup;
  credentials?: SectionBackup;
}

export interface AwsBackups {
  version: 1;
  profiles: Record<string, ProfileBackup>;
}

export function awsBackupPath(configFile: string): string {
  return `${configFile}.guard-backup.json`;
}

const isSectionBackup = (value: unknown): value is SectionBackup => {
  const b = value as SectionBackup | null;
  return Boolean(b) && typeof b!.file === 'string' && typeof b!.before === 'string' && typeof b!.after === 'string' && (b!.separator === undefined || typeof b!.separator === 'string');
};

/** The backup, or an empty one; a backup that is not private, not guard's or not well-formed is refused. */
export function readAwsBackups(configFile: string): AwsBackups {
  const path = awsBackupPath(configFile);
  const read = readPrivateFile(path);
  if ('missing' in read) return { version: 1, profiles: {} };
  if ('problem' in read) throw new GuardError('config', `the backup ${path} ${read.problem}; move it away and try again`);
  const value = parseJsonObject(read.text) as Partial<AwsBackups> | undefined;
  const profiles = value?.profiles;
  const valid =
    value?.version === 1 &&
    profiles !== null &&
    typeof profiles === 'object' &&
    Object.values(profiles).every((p) => isSectionBackup(p?.config) && (p.credentials === undefined || isSectionBackup(p.credentials)));
  if (!valid) throw new GuardError('config', `the backup ${path} is not guard's; move it away and try again`);
  return value as AwsBackups;
}

export function writeAwsBackups(configFile: string, backups: AwsBackups): void {
  writeAwsFile(awsBackupPath(configFile), `${JSON.stringify(backups, null, 2)}\n`);
}
