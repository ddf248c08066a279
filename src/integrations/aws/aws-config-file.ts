/**
 * The files `guard aws-config` edits, as the aws CLI finds them: the config
 * file (`AWS_CONFIG_FILE`, else `~/.aws/config`) and the shared credentials
 * file (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`); and the
 * backup beside the config file (files/edit-backup.ts), which keeps per
 * profile what `--undo` needs, the keys guard moved out included.
 */
import { mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { GuardError } from '../../errors.ts';
import { writeFileAtomic } from '../../files/atomic-write.ts';
import { readEditBackup, writeEditBackup } from '../../files/edit-backup.ts';
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

const isSectionBackup = (value: unknown): value is SectionBackup => {
  const b = value as SectionBackup | null;
  return Boolean(b) && typeof b!.file === 'string' && typeof b!.before === 'string' && typeof b!.after === 'string' && (b!.separator === undefined || typeof b!.separator === 'string');
};
const isProfileBackup = (value: unknown): boolean => {
  const b = value as ProfileBackup | null;
  return Boolean(b) && isSectionBackup(b!.config) && (b!.credentials === undefined || isSectionBackup(b!.credentials));
};

/** What `--undo` restores, per AWS profile; a backup that is not private or not guard's is refused. */
export function readAwsBackups(configFile: string): Record<string, ProfileBackup> {
  return readEditBackup<ProfileBackup>(configFile, 'profiles', isProfileBackup);
}

/** Writes the backup; with nothing left to restore, removes it. */
export function writeAwsBackups(configFile: string, profiles: Record<string, ProfileBackup>): void {
  writeEditBackup(configFile, 'profiles', profiles);
}
