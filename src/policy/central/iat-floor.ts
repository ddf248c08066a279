/**
 * The highest central-policy `iat` ever accepted from a policy URL, kept
 * apart from the cache (SPEC §13 "no rollback by rotating keys"): the cache
 * is filed under the URL and its keys, so a key rotation starts an empty
 * cache, but never an empty memory of the newest version seen.
 * `<state>/policy/<sha256(url)>.iat`, a private file like the cache.
 */
import { join } from 'node:path';
import { lazyCrypto } from '../../util/builtins.ts';
import { writeFileAtomic } from '../../files/atomic-write.ts';
import { readPrivateFile } from '../../files/private-file.ts';
import { ensurePolicyDir, policyDir } from './policy-cache.ts';

function floorPath(stateDir: string, url: string): string {
  return join(policyDir(stateDir), `${lazyCrypto().createHash('sha256').update(url).digest('hex').slice(0, 24)}.iat`);
}

/** The highest accepted iat for this URL (seconds), if any was recorded in a trustworthy file. */
export function readIatFloor(stateDir: string, url: string): number | undefined {
  const file = readPrivateFile(floorPath(stateDir, url));
  if (!('text' in file)) return undefined;
  const iat = Number(file.text.trim());
  return Number.isFinite(iat) && iat >= 0 ? iat : undefined;
}

/** Records `iat` when it is higher than the floor. Call it holding the source's lock. */
export function raiseIatFloor(stateDir: string, url: string, iat: number): void {
  const floor = readIatFloor(stateDir, url);
  if (floor !== undefined && floor >= iat) return;
  ensurePolicyDir(stateDir);
  writeFileAtomic(floorPath(stateDir, url), `${iat}\n`);
}
