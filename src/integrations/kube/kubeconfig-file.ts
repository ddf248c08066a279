/**
 * Where `guard kubeconfig` edits, and its backup beside it: the first file
 * of `KUBECONFIG` (kubectl writes new entries there too), else
 * `~/.kube/config`. The backup `FILE.guard-backup.json` (mode 0600: it may
 * hold the static credentials guard replaced) keeps, per context, what
 * `--undo` needs.
 */
import { readFileSync, realpathSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { GuardError } from '../../errors.ts';
import { writeFileAtomic } from '../../files/atomic-write.ts';
import { parseJsonObject, readPrivateFile } from '../../files/private-file.ts';
import type { ContextBackup } from './kubeconfig-edit.ts';
import { kubeconfigPaths } from '../../policy/implied/kubeconfig.ts';

/** The kubeconfig file to edit, resolved through symlinks (an edit must not replace a link with a copy). */
export function kubeconfigPath(env: NodeJS.ProcessEnv): string {
  // The same list kubectl and guard's implied words read: KUBECONFIG's files, else ~/.kube/config.
  const file = kubeconfigPaths(env, env.HOME || homedir())[0]!;
  const fromVariable = Boolean(env.KUBECONFIG?.split(':').some((part) => part !== ''));
  try {
    return realpathSync(file);
  } catch {
    throw new GuardError('config', `no kubeconfig at ${file}${fromVariable ? ' (the first file of KUBECONFIG)' : ''}; create it with kubectl config, or set KUBECONFIG`);
  }
}

export function readKubeconfig(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new GuardError('config', `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}); fix its permissions`);
  }
}

export function writeKubeconfig(file: string, text: string): void {
  writeFileAtomic(file, text);
}

export interface Backups {
  version: 1;
  contexts: Record<string, ContextBackup>;
}

export function backupPath(file: string): string {
  return `${file}.guard-backup.json`;
}

/** The backup, or an empty one when there is none; a backup that is not private or not ours is refused. */
export function readBackups(file: string): Backups {
  const path = backupPath(file);
  const read = readPrivateFile(path);
  if ('missing' in read) return { version: 1, contexts: {} };
  if ('problem' in read) throw new GuardError('config', `the backup ${path} ${read.problem}; move it away and try again`);
  const value = parseJsonObject(read.text) as Partial<Backups> | undefined;
  if (!value || value.version !== 1 || !value.contexts || typeof value.contexts !== 'object') throw new GuardError('config', `the backup ${path} is not guard's; move it away and try again`);
  return value as Backups;
}

/** Writes the backup; with nothing left to restore, removes it (no empty file left behind after the last --undo). */
export function writeBackups(file: string, backups: Backups): void {
  if (Object.keys(backups.contexts).length === 0) {
    rmSync(backupPath(file), { force: true });
    return;
  }
  writeFileAtomic(backupPath(file), `${JSON.stringify(backups, null, 2)}\n`);
}
