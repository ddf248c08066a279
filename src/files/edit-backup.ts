/**
 * The backup beside a file guard edits for another tool (`guard kubeconfig`,
 * `guard aws-config`): `FILE.guard-backup.json`, mode 0600 (it may hold the
 * credentials guard moved out), one entry per thing edited — a context, a
 * profile — holding what `--undo` restores. A backup that is not private or
 * not guard's is refused; once nothing is left to restore, the file goes.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { GuardError } from '../errors.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { parseJsonObject, readPrivateFile } from './private-file.ts';

export function editBackupPath(file: string): string {
  return `${file}.guard-backup.json`;
}

/**
 * The entries of the backup of `file` under `key` (`contexts`, `profiles`);
 * none when there is no backup. `isEntry` checks each one.
 */
export function readEditBackup<T>(file: string, key: string, isEntry: (value: unknown) => boolean): Record<string, T> {
  const path = editBackupPath(file);
  const read = readPrivateFile(path);
  // No prototype: an entry named __proto__ (a context is named by whoever wrote the kubeconfig) is an entry like any other.
  const entries: Record<string, T> = Object.create(null);
  if ('missing' in read) return entries;
  if ('problem' in read) throw new GuardError('config', `the backup ${path} ${read.problem}; move it away and try again`);
  const value = parseJsonObject(read.text);
  const stored = value?.[key];
  const valid = value?.version === 1 && stored !== null && typeof stored === 'object' && !Array.isArray(stored) && Object.values(stored).every(isEntry);
  if (!valid) throw new GuardError('config', `the backup ${path} is not guard's; move it away and try again`);
  return Object.assign(entries, stored);
}

/** Writes the backup first thing, before the edit it backs up; with no entries left, removes it (no empty file after the last --undo). */
export function writeEditBackup<T>(file: string, key: string, entries: Record<string, T>): void {
  const path = editBackupPath(file);
  if (Object.keys(entries).length === 0) {
    rmSync(path, { force: true });
    return;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileAtomic(path, `${JSON.stringify({ version: 1, [key]: entries }, null, 2)}\n`);
}
