/**
 * Cross-process locks as files in the state folder (mode 0600). A lock is
 * published whole, by hard-linking a finished temp file into place, so a
 * crash (SIGKILL) or a full disk never leaves an empty lock file that no
 * one can judge. A lock whose owner died is detected by its pid and the
 * process's start time (so a reused pid does not count), or by age, and
 * broken, so a crash never leaves guard stuck.
 */
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { uniqueSuffix } from '../util/builtins.ts';
import { GuardError } from '../errors.ts';
import { processStart } from '../util/proc.ts';

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
  /** Still ours: not broken as stale by another process (a holder that kept it past `stale`). */
  held(): boolean;
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

/** Creates `path` (it must not exist) holding `content`; on failure nothing is left behind. */
function writeNew(path: string, content: string): void {
  const fd = createExclusive(path);
  try {
    writeSync(fd, content);
  } catch (error) {
    closeSync(fd);
    try {
      unlinkSync(path);
    } catch {
      // nothing to clean up
    }
    throw error;
  }
  closeSync(fd);
}

/** Filesystems without hard links (some network and FUSE mounts): fall back to O_EXCL on the lock itself. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/** Puts a complete lock file at `path`, or throws EEXIST when someone holds it. */
function publish(path: string, token: string): void {
  const temp = `${path}.${uniqueSuffix()}.tmp`;
  writeNew(temp, token);
  try {
    linkSync(temp, path);
  } catch (error) {
    if (!NO_LINKS.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
    writeNew(path, token);
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
  }
}

let ownStart: string | undefined | null = null;

/** A lock, or why not: `held` by a live owner, or `broken` just now (stale), so trying again at once may succeed. */
function tryAcquire(path: string, options: LockOptions): Lock | 'held' | 'broken' {
  if (ownStart === null) ownStart = processStart(process.pid);
  const token = `${process.pid} ${ownStart ?? '-'} ${uniqueSuffix()}`;
  try {
    publish(path, token);
    const held = () => {
      try {
        return readFileSync(path, 'utf8') === token;
      } catch {
        return false;
      }
    };
    return {
      release() {
        try {
          if (held()) unlinkSync(path);
        } catch {
          // already broken by another process as stale: nothing to release
        }
      },
      held,
    };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') {
      throw new GuardError('io', `cannot create the lock file ${path} (${code ?? error}); free disk space or fix the folder's permissions, then try again`, { cause: error });
    }
    return breakIfStale(path, options.stale) ? 'broken' : 'held';
  }
}

/** Is the process that wrote this lock still running? `pid start random`; older locks have no start time. */
function ownerAlive(content: string): boolean {
  const [pidText, start, random] = content.split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return false;
  if (random === undefined || start === '-') return true;
  const current = processStart(pid);
  return current === undefined || current === start;
}

/** Breaks the lock if its owner is gone or it is too old; true when it did (or another process did at the same time). */
function breakIfStale(path: string, staleAfter: number): boolean {
  let content: string;
  let mtime: number;
  try {
    content = readFileSync(path, 'utf8');
    mtime = statSync(path).mtimeMs;
  } catch {
    return false; // released meanwhile: its owner was alive, take turns as usual
  }
  // An empty file is a lock being written right now by the O_EXCL fallback, unless it is old.
  if ((content !== '' && !ownerAlive(content)) || Date.now() - mtime > staleAfter) {
    // Move it aside first, then look at what was moved: of several processes
    // breaking the same stale lock only one gets it, and one that grabbed a
    // lock a live owner had just taken puts it back.
    const aside = `${path}.stale-${uniqueSuffix()}`;
    try {
      renameSync(path, aside);
    } catch {
      return true; // another process broke it first
    }
    try {
      if (readFileSync(aside, 'utf8') !== content) linkSync(aside, path);
    } catch {
      // a third process took the lock meanwhile: it is theirs
    }
    unlinkSync(aside);
    return true;
  }
  return false;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Made on the first wait: most guard processes never wait. */
let sleeper: Int32Array | undefined;

/**
 * When a waiter gives up: `timeout` after the lock last changed hands. Under
 * a burst of guard processes the lock keeps moving and every waiter gets its
 * turn; only one holder keeping it for `timeout` ends the wait. A timeout of
 * 0 ("do not wait") stays a fixed deadline.
 */
function patience(path: string, timeout: number): () => boolean {
  const holderNow = (): string | undefined => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined; // released meanwhile: that is progress too
    }
  };
  let deadline = Date.now() + timeout;
  if (timeout <= 0) return () => Date.now() > deadline;
  let holder: string | undefined | null = null; // read only once someone else holds it (never on the uncontended path)
  return () => {
    const current = holderNow();
    if (holder !== null && current !== holder) deadline = Date.now() + timeout;
    holder = current;
    return Date.now() > deadline;
  };
}

/** Waits for the lock without yielding to the event loop: for short critical sections (state updates). */
export function acquireLockSync(path: string, options: LockOptions): Lock {
  const expired = patience(path, options.timeout);
  for (let delay = 1; ; delay = Math.min(delay * 2, 25)) {
    const lock = tryAcquire(path, options);
    if (typeof lock === 'object') return lock;
    if (expired()) throw timeoutError(options);
    if (lock === 'broken') continue;
    Atomics.wait((sleeper ??= new Int32Array(new SharedArrayBuffer(4))), 0, 0, delay + Math.random() * delay);
  }
}

/** Waits for the lock asynchronously: for long critical sections (a refresh over the network). */
export async function acquireLock(path: string, options: LockOptions, onWait?: () => void): Promise<Lock> {
  const expired = patience(path, options.timeout);
  let waited = false;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    const lock = tryAcquire(path, options);
    if (typeof lock === 'object') return lock;
    if (expired()) throw timeoutError(options);
    // A dead owner's lock was just broken: try again at once, without telling the user to wait.
    if (lock === 'broken') continue;
    if (!waited) {
      waited = true;
      onWait?.();
    }
    await new Promise((resolve) => setTimeout(resolve, delay + Math.random() * delay));
  }
}

/** The pid of the process that holds the lock at `path` (to say who we wait for), or undefined. */
export function lockHolder(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').split(' ')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function timeoutError(options: LockOptions): GuardError {
  return new GuardError('unavailable', `timed out after ${Math.round(options.timeout / 1000)}s waiting for ${options.what}; try again`);
}
