/**
 * Size cap for the audit log: when `audit.jsonl` would grow past
 * `audit.max_bytes`, it becomes `audit.jsonl.1` (`.1` → `.2` …, the oldest
 * beyond {@link KEEP_ROTATED} is dropped). Rotation happens under a lock so
 * parallel guards never rotate twice for one overflow.
 */
import { renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { acquireLockSync } from '../files/lock.ts';

/** audit.jsonl.1 … audit.jsonl.3 are kept: about 4 × max_bytes on disk at most. */
export const KEEP_ROTATED = 3;
export const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;

const ROTATE_LOCK = { timeout: 2_000, stale: 10_000, what: 'the audit log rotation lock' };

export function auditPath(stateDir: string): string {
  return join(stateDir, 'audit.jsonl');
}

/** Every audit file, oldest first: audit.jsonl.3, .2, .1, audit.jsonl. */
export function auditFiles(stateDir: string): string[] {
  const current = auditPath(stateDir);
  const rotated = Array.from({ length: KEEP_ROTATED }, (_, i) => `${current}.${KEEP_ROTATED - i}`);
  return [...rotated, current];
}

function renameIfExists(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Rotates when the log still needs it once the lock is held (another process
 * may have rotated meanwhile). A writer that opened the old file before the
 * rename still appends to it, now `.1`: its line is kept, never lost. When
 * the lock cannot be had in time, the caller just writes past the cap.
 */
export function rotateIfOver(stateDir: string, maxBytes: number, incoming: number): void {
  const current = auditPath(stateDir);
  let lock;
  try {
    lock = acquireLockSync(join(stateDir, 'audit.lock'), ROTATE_LOCK);
  } catch {
    return;
  }
  try {
    const size = statSync(current, { throwIfNoEntry: false })?.size ?? 0;
    if (size === 0 || size + incoming <= maxBytes) return;
    try {
      unlinkSync(`${current}.${KEEP_ROTATED}`);
    } catch {
      // nothing that old yet
    }
    for (let i = KEEP_ROTATED - 1; i >= 1; i--) renameIfExists(`${current}.${i}`, `${current}.${i + 1}`);
    renameIfExists(current, `${current}.1`);
  } finally {
    lock.release();
  }
}
