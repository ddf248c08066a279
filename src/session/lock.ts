/**
 * Cross-process locks as files created with O_EXCL in the state folder
 * (mode 0600). A lock whose owner died (SIGKILL) is detected by its pid, or
 * by age, and broken, so a crash never leaves guard stuck.
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { GuardError } from '../errors.ts';

export interface LockOptions {
  /** Give up waiting after this long (ms). */
  timeout: number;
  /** A lock older than this (ms) is stale even if its pid seems alive (pid reuse). */
  stale: number;
  /** What to tell the user on timeout. */
  what: string;
}

export interface Lock {
  release(): void;
}

function createExclusive(path: string): number {
  try {
    return openSync(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    return openSync(path, 'wx', 0o600);
  }
}

function tryAcquire(path: string, options: LockOptions): Lock | undefined {
  const token = `${process.pid} ${randomBytes(6).toString('hex')}`;
  try {
    const fd = createExclusive(path);
    try {
      writeSync(fd, token);
    } finally {
      closeSync(fd);
    }
    return {
      release() {
        try {
          if (readFileSync(path, 'utf8') === token) unlinkSync(path);
        } catch {
          // already broken by another process as stale: nothing to release
        }
      },
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new GuardError('io', `cannot create the lock file ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`, { cause: error });
    }
    breakIfStale(path, options.stale);
    return undefined;
  }
}

function breakIfStale(path: string, staleAfter: number): void {
  let content: string;
  let mtime: number;
  try {
    content = readFileSync(path, 'utf8');
    mtime = statSync(path).mtimeMs;
  } catch {
    return; // released meanwhile
  }
  const pid = Number(content.split(' ')[0]);
  const ownerAlive = Number.isInteger(pid) && pid > 0 && isAlive(pid);
  // An empty file is a lock being written right now, unless it is old.
  if ((content !== '' && !ownerAlive) || Date.now() - mtime > staleAfter) {
    // Rename first: of several processes breaking the same stale lock, only one wins.
    const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      if (readFileSync(path, 'utf8') !== content) return;
      renameSync(path, aside);
      unlinkSync(aside);
    } catch {
      // another process broke it first
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Waits for the lock without yielding to the event loop: for short critical sections (state updates). */
export function acquireLockSync(path: string, options: LockOptions): Lock {
  const deadline = Date.now() + options.timeout;
  for (let delay = 1; ; delay = Math.min(delay * 2, 25)) {
    const lock = tryAcquire(path, options);
    if (lock) return lock;
    if (Date.now() > deadline) throw timeoutError(options);
    Atomics.wait(sleeper, 0, 0, delay + Math.random() * delay);
  }
}

/** Waits for the lock asynchronously: for long critical sections (a refresh over the network). */
export async function acquireLock(path: string, options: LockOptions, onWait?: () => void): Promise<Lock> {
  const deadline = Date.now() + options.timeout;
  let waited = false;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    const lock = tryAcquire(path, options);
    if (lock) return lock;
    if (!waited) {
      waited = true;
      onWait?.();
    }
    if (Date.now() > deadline) throw timeoutError(options);
    await new Promise((resolve) => setTimeout(resolve, delay + Math.random() * delay));
  }
}

function timeoutError(options: LockOptions): GuardError {
  return new GuardError('unavailable', `timed out after ${Math.round(options.timeout / 1000)}s waiting for ${options.what}; try again`);
}
