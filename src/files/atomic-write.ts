/** Atomic writes of guard's private files (state, caches, trust records). */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { GuardError } from '../errors.ts';
import { uniqueSuffix } from '../util/builtins.ts';

/** A file written beside its place: `commit` renames it in (readers see it whole), `abandon` removes it. */
export interface StagedFile {
  commit(): void;
  abandon(): void;
}

const writeError = (path: string, error: unknown) =>
  new GuardError('io', `cannot write ${path} (${(error as NodeJS.ErrnoException).code ?? error}); the command was not run — free disk space or fix permissions`, { cause: error });

/**
 * Writes `content` to a temp file (mode 0600) beside `path`, ready to be
 * renamed in: everything that can fail for lack of space has failed by the
 * time this returns. `durable: false` skips the fsync, for writes whose loss
 * in a power cut costs nothing (an activity timestamp).
 */
export function stageFileAtomic(path: string, content: string, options: { durable?: boolean } = {}): StagedFile {
  const temp = `${path}.${uniqueSuffix()}.tmp`;
  const remove = () => {
    try {
      unlinkSync(temp);
    } catch {
      // nothing was written
    }
  };
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', 0o600);
    writeSync(fd, content);
    if (options.durable !== false) fsyncSync(fd);
    closeSync(fd);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    remove();
    throw writeError(path, error);
  }
  return {
    commit() {
      try {
        renameSync(temp, path);
      } catch (error) {
        remove();
        throw writeError(path, error);
      }
    },
    abandon: remove,
  };
}

/** Writes a file atomically with mode 0600: a reader sees the old or the new content, never a mix. */
export function writeFileAtomic(path: string, content: string, options: { durable?: boolean } = {}): void {
  stageFileAtomic(path, content, options).commit();
}
