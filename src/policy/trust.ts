/**
 * Trust for project `.guard.yaml` files, like `direnv allow`: the hash of the
 * path where guard found the file plus its content, recorded in the state
 * folder. Any edit changes the hash and so revokes trust. The path is the
 * one guard found, not a symlink's target (SPEC §13): a repository that
 * ships `.guard.yaml -> ../good/.guard.yaml` does not inherit good's trust.
 */
import { lazyCrypto } from '../util/builtins.ts';
import { unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../files/atomic-write.ts';
import { ensurePrivateDir, readPrivateFile } from '../files/private-file.ts';

export function trustHash(path: string, content: string | Buffer): string {
  return lazyCrypto().createHash('sha256').update(path).update('\0').update(content).digest('hex');
}

function recordPath(stateDir: string, path: string): string {
  return join(stateDir, 'trust', lazyCrypto().createHash('sha256').update(path).digest('hex'));
}

/** Trusted when a private record (regular file, no symlink, ours, not writable by others) holds this path's and content's hash. */
export function isTrusted(stateDir: string, file: string, content: string | Buffer): boolean {
  const path = resolve(file);
  const record = readPrivateFile(recordPath(stateDir, path));
  return 'text' in record && record.text.trim() === trustHash(path, content);
}

/** Records trust in exactly `content`: the bytes that were reviewed and validated, not whatever the file holds a moment later. */
export function recordTrust(stateDir: string, file: string, content: string): string {
  const path = resolve(file);
  ensurePrivateDir(join(stateDir, 'trust'));
  writeFileAtomic(recordPath(stateDir, path), `${trustHash(path, content)}\n`);
  return path;
}

export function revokeTrust(stateDir: string, file: string): boolean {
  try {
    unlinkSync(recordPath(stateDir, resolve(file)));
    return true;
  } catch {
    return false;
  }
}
