/**
 * Reading the files guard keeps for itself (session state, caches): trusted
 * only when it is a regular file, not a symlink, owned by this user, and
 * nobody else can write it (SPEC §8). Never throws.
 */
import { chmodSync, closeSync, constants, fstatSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';

/** Makes a folder of guard's (0700), tightening it if it exists with group or other bits (SPEC §8). */
export function ensurePrivateDir(path: string): void {
  // One stat when it is there already (every run): mkdir -p only for a missing folder, or to fail as it fails.
  let info = statSync(path, { throwIfNoEntry: false });
  if (!info?.isDirectory()) {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    info = statSync(path);
  }
  const mode = info.mode & 0o777;
  if (mode & 0o077) chmodSync(path, mode & 0o700);
}

export type PrivateFile = { text: string } | { missing: true } | { problem: string };
export type PrivateBytes = { bytes: Buffer } | { missing: true } | { problem: string };

export function readPrivateFile(path: string): PrivateFile {
  const file = readPrivateBytes(path);
  return 'bytes' in file ? { text: file.bytes.toString('utf8') } : file;
}

/** readPrivateFile's checks, for a binary file (V8's code cache); `singleLink` also refuses a file with other names. */
export function readPrivateBytes(path: string, options: { singleLink?: boolean } = {}): PrivateBytes {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { missing: true } : { problem: `cannot be read (${code})` };
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return { problem: 'is not a regular file' };
    if (info.mode & 0o022) return { problem: 'is writable by other users, so it is not trusted' };
    if (typeof process.getuid === 'function' && info.uid !== process.getuid()) return { problem: 'belongs to another user' };
    if (options.singleLink && info.nlink !== 1) return { problem: 'has other names (hard links)' };
    return { bytes: readFileSync(fd) };
  } catch (error) {
    return { problem: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  } finally {
    closeSync(fd);
  }
}

/** JSON text as a plain object, or undefined for anything else (arrays, null, bad JSON). Never throws. */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
