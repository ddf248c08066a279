/**
 * Access tokens for one resource each (RFC 8707), kept in the keychain until
 * they expire (SPEC §14: `kube_resource: true`, one token per cluster whose
 * audience is that cluster). The first caller for a resource asks the IdP
 * (a refresh grant with `resource`), under the profile's refresh lock so
 * that parallel callers wait for it and a rotated refresh token is never
 * used twice; the others read the kept token. Each token lives in its own
 * keychain entry (account `PROFILE/resource/URL`, the profile's store); the
 * resources that have one are listed in the state folder (no secret there),
 * so that `guard lock` and `guard logout` drop them all.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2.2
 */
import { join } from 'node:path';
import type { Deps } from '../deps.ts';
import { writeFileAtomic } from '../files/atomic-write.ts';
import { acquireLock } from '../files/lock.ts';
import { ensurePrivateDir, parseJsonObject, readPrivateFile } from '../files/private-file.ts';
import type { Profile } from '../policy/types.ts';
import { checkNarrowing, narrowWhileLocked } from './narrow.ts';
import type { ActiveSession } from './session-types.ts';
import { lockPath, TOKENS_LOCK } from './state.ts';

/** A kept token is handed out only while it has this much life left (a client may take a moment to use it). */
const MIN_LIFE_MS = 30_000;

export interface ResourceToken {
  token: string;
  expiresAt: number;
}

const account = (profile: Profile, resource: string) => `${profile.name}/resource/${resource}`;
const indexFile = (deps: Deps, profile: Profile) => join(deps.paths.stateDir, 'resources', `${profile.name}.json`);

function readIndex(deps: Deps, profile: Profile): string[] {
  const read = readPrivateFile(indexFile(deps, profile));
  const list = 'text' in read ? parseJsonObject(read.text)?.resources : undefined;
  return Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string') : [];
}

function writeIndex(deps: Deps, profile: Profile, resources: string[]): void {
  ensurePrivateDir(join(deps.paths.stateDir, 'resources'));
  writeFileAtomic(indexFile(deps, profile), JSON.stringify({ resources }));
}

/** The access token for `resource`: the kept one while it lives, else a new one from the IdP (kept until it expires). */
export async function resourceToken(deps: Deps, profile: Profile, session: ActiveSession, resource: string): Promise<ResourceToken> {
  // Before anything is sent: an IdP may burn the refresh token on a resource it was not asked for at login.
  checkNarrowing(profile, { resource }, session.state.scope);
  const keychain = await deps.keychain();
  const kept = async () => {
    const tokens = await keychain.get(account(profile, resource), profile.store);
    return tokens?.expires_at !== undefined && tokens.expires_at - deps.now() > MIN_LIFE_MS ? { token: tokens.access_token, expiresAt: tokens.expires_at } : undefined;
  };
  const early = await kept();
  if (early) return early;
  const lock = await acquireLock(lockPath(deps.paths.stateDir, profile.name, 'refresh'), TOKENS_LOCK);
  try {
    const meanwhile = await kept();
    if (meanwhile) return meanwhile;
    const tokens = await narrowWhileLocked(deps, profile, { resource }, session);
    const expiresAt = tokens.expires_at ?? deps.now();
    // Listed before it is stored: a crash in between leaves a name to drop, never a token nobody drops.
    const listed = readIndex(deps, profile);
    if (!listed.includes(resource)) writeIndex(deps, profile, [...listed, resource]);
    await keychain.set(account(profile, resource), profile.store, { access_token: tokens.access_token, expires_at: expiresAt });
    return { token: tokens.access_token, expiresAt };
  } finally {
    lock.release();
  }
}

/** Drops every kept resource token of the profile (guard lock, guard logout, a dead session). The caller holds the tokens lock. */
export async function dropResourceTokens(deps: Deps, profile: Profile): Promise<void> {
  const listed = readIndex(deps, profile);
  if (listed.length === 0) return;
  const keychain = await deps.keychain();
  for (const resource of listed) await keychain.delete(account(profile, resource), profile.store);
  writeIndex(deps, profile, []);
}
