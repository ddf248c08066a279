/**
 * Where `guard kubeconfig` edits, and its backup beside it: the first file
 * of `KUBECONFIG` (kubectl writes new entries there too), else
 * `~/.kube/config`. The backup beside it (files/edit-backup.ts) keeps, per
 * context, what `--undo` needs.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { GuardError } from '../../errors.ts';
import { writeFileAtomic } from '../../files/atomic-write.ts';
import { readEditBackup, writeEditBackup } from '../../files/edit-backup.ts';
import type { ContextBackup } from './kubeconfig-edit.ts';
import { kubeconfigPaths } from '../../policy/implied/kubeconfig.ts';
import { clientGoHome } from '../../policy/implied/home-dir.ts';

/** The kubeconfig file to edit, resolved through symlinks (an edit must not replace a link with a copy). */
export function kubeconfigPath(env: NodeJS.ProcessEnv): string {
  // The same list kubectl and guard's implied words read: KUBECONFIG's files, else ~/.kube/config.
  const file = kubeconfigPaths(env, clientGoHome(env))[0]!;
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

const isContextBackup = (value: unknown): boolean => {
  const b = value as ContextBackup | null;
  return Boolean(b) && typeof b!.user === 'string' && (b!.original === undefined || typeof b!.original === 'string') && (b!.created === undefined || typeof b!.created === 'string');
};

/** What `--undo` restores, per context; a backup that is not private or not guard's is refused. */
export function readBackups(file: string): Record<string, ContextBackup> {
  return readEditBackup<ContextBackup>(file, 'contexts', isContextBackup);
}

/** Writes the backup; with nothing left to restore, removes it. */
export function writeBackups(file: string, contexts: Record<string, ContextBackup>): void {
  writeEditBackup(file, 'contexts', contexts);
}
