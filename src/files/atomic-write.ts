/** Atomic writes of guard's private files (state, caches, trust records). */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { GuardError } from '../errors.ts';
import { uniqueSuffix } from '../util/builtins.ts';

/**
 * Writes a file atomically with mode 0600: a reader sees the old or the new
 * content, never a mix. `durable: false` skips the fsync, for writes whose
 * loss in a power cut costs nothing (an activity timestamp).
 */
export function writeFileAtomic(path: string, content: string, options: { durable?: boolean } = {}): void {
  const temp = `${path}.${uniqueSuffix()}.tmp`;
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', 0o600);
    writeSync(fd, content);
    if (options.durable !== false) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // nothing was written
    }
    throw new GuardError('io', `cannot write ${path} (${(error as NodeJS.ErrnoException).code ?? error}); the command was not run — free disk space or fix permissions`, { cause: error });
  }
}
