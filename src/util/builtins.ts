/**
 * Start-up helpers for the hot path. Loading node:crypto costs ~3–4 ms, and
 * a valid session's `guard run` needs it only now and then (a project
 * file's trust hash, a new session id), so it loads on first use.
 */
export function lazyCrypto(): typeof import('node:crypto') {
  return process.getBuiltinModule('node:crypto');
}

let counter = 0;

/** A suffix for temp and lock file names: unique, not secret (the files are created with O_EXCL). */
export function uniqueSuffix(): string {
  return `${process.pid.toString(36)}-${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A fast 64-bit (two 32-bit FNV-1a) fingerprint of a string, for cache keys; never for security. */
export function fingerprint(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x0100019d);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}
