/**
 * Trust for project `.guard.yaml` files, like `direnv allow`: the hash of the
 * file's real path plus its content, recorded in the state folder. Any edit
 * changes the hash and so revokes trust.
 */
import { lazyCrypto } from '../util/builtins.ts';
import { readFileSync, realpathSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../files/atomic-write.ts';
import { ensurePrivateDir } from '../files/private-file.ts';

export function trustHash(realPath: string, content: string | Buffer): string {
  return lazyCrypto().createHash('sha256').update(realPath).update('\0').update(content).digest('hex');
}

function recordPath(stateDir: string, realPath: string): string {
  return join(stateDir, 'trust', lazyCrypto().createHash('sha256').update(realPath).digest('hex'));
}

export function isTrusted(stateDir: string, file: string, content: string | Buffer): boolean {
  try {
    const real = realpathSync(file);
    return readFileSync(recordPath(stateDir, real), 'utf8').trim() === trustHash(real, content);
  } catch {
    return false;
  }
}

/** Records trust in exactly `content`: the bytes that were reviewed and validated, not whatever the file holds a moment later. */
export function recordTrust(stateDir: string, file: string, content: string): string {
  const real = realpathSync(file);
  ensurePrivateDir(join(stateDir, 'trust'));
  writeFileAtomic(recordPath(stateDir, real), `${trustHash(real, content)}\n`);
  return real;
}

export function revokeTrust(stateDir: string, file: string): boolean {
  try {
    unlinkSync(recordPath(stateDir, realpathSync(file)));
    return true;
  } catch {
    return false;
  }
}
