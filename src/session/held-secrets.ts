/**
 * Secrets guard obtained for a session from other services (temporary AWS
 * credentials, SPEC §15; one cluster's access token, SPEC §14) and keeps in
 * the keychain, each under an account of its own and bound to the session
 * that obtained it (its id is inside the entry). The state folder lists those accounts — names only, never a
 * secret — so that ending the session (lock, logout, a dead or rejected
 * session) deletes every one of them, from whichever store it went to: the
 * kernel keyring cannot list its entries, and a list written before each
 * entry never misses one.
 */
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Deps } from '../deps.ts';
import { writeFileAtomic } from '../files/atomic-write.ts';
import { acquireLockSync } from '../files/lock.ts';
import { parseJsonObject, readPrivateFile } from '../files/private-file.ts';
import type { StoreKind } from '../keychain/keychain.ts';
import { ensureStateDir } from './state.ts';

/** What a held secret is, for status; an entry without one was written before cluster tokens were held (AWS). */
export type HeldKind = 'aws-credential' | 'resource-token';

export interface HeldSecret {
  account: string;
  store: StoreKind;
  kind?: HeldKind;
}

const LIST_LOCK = { timeout: 10_000, stale: 10_000, what: 'the list of cached credentials' };

const base = (dir: string, profile: string) => join(dir, 'sessions', encodeURIComponent(profile));
const listPath = (dir: string, profile: string) => `${base(dir, profile)}.held.json`;

/** The lock file for filling one held secret (one STS call for parallel callers). */
export function heldSecretLockPath(dir: string, profile: string, key: string): string {
  return `${base(dir, profile)}.held-${key}.lock`;
}

/** The accounts listed for the profile; an unreadable or foreign list counts as empty. */
export function heldSecrets(dir: string, profile: string): HeldSecret[] {
  const file = readPrivateFile(listPath(dir, profile));
  if (!('text' in file)) return [];
  const held = parseJsonObject(file.text)?.held;
  if (!Array.isArray(held)) return [];
  return held.filter(
    (item): item is HeldSecret =>
      Boolean(item) && typeof item.account === 'string' && item.account !== '' && (item.store === 'secret-service' || item.store === 'keyutils'),
  );
}

/** Changes the list under its lock; an empty list removes the file. */
function updateList(dir: string, profile: string, change: (held: HeldSecret[]) => HeldSecret[]): void {
  ensureStateDir(dir);
  const lock = acquireLockSync(`${base(dir, profile)}.held.lock`, LIST_LOCK);
  try {
    const before = heldSecrets(dir, profile);
    const after = change(before);
    if (after.length === before.length && after.every((item, i) => item.account === before[i]!.account && item.store === before[i]!.store)) return;
    if (after.length > 0) writeFileAtomic(listPath(dir, profile), `${JSON.stringify({ version: 1, held: after }, null, 2)}\n`);
    else {
      try {
        unlinkSync(listPath(dir, profile));
      } catch {
        // already gone
      }
    }
  } finally {
    lock.release();
  }
}

/** Lists a secret before it is written to the keychain, so no ending of the session can miss it. */
export function recordHeldSecret(dir: string, profile: string, secret: HeldSecret): void {
  updateList(dir, profile, (held) => (held.some((item) => item.account === secret.account && item.store === secret.store) ? held : [...held, secret]));
}

/** Deletes every listed secret of the profile from the keychain, then the list. Returns how many entries were deleted. */
export async function dropHeldSecrets(deps: Deps, profile: string): Promise<number> {
  const held = heldSecrets(deps.paths.stateDir, profile);
  if (held.length === 0) return 0;
  const keychain = await deps.keychain();
  let deleted = 0;
  for (const secret of held) if (await keychain.delete(secret.account, secret.store)) deleted++;
  const gone = new Set(held.map((secret) => `${secret.store} ${secret.account}`));
  updateList(deps.paths.stateDir, profile, (now) => now.filter((secret) => !gone.has(`${secret.store} ${secret.account}`)));
  return deleted;
}
