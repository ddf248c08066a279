/**
 * Access tokens for one resource each (RFC 8707), kept in the keychain until
 * they expire (SPEC §14: `kube_resource: true`, one token per cluster whose
 * audience is that cluster). The first caller for a resource asks the IdP
 * (a refresh grant with `resource`), under the profile's refresh lock so
 * that parallel callers wait for it and a rotated refresh token is never
 * used twice; the others read the kept token. Each token is a held secret
 * of the session (session/held-secrets.ts): listed before it is stored, so
 * that lock, logout and a dead or rejected session drop it, and bound to
 * the session that obtained it, so that no other session is handed it.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2.2
 */
import type { Deps } from '../deps.ts';
import { acquireLock } from '../files/lock.ts';
import { parseJsonObject } from '../files/private-file.ts';
import type { Profile } from '../policy/types.ts';
import { recordHeldSecret } from './held-secrets.ts';
import { checkNarrowing, narrowWhileLocked } from './narrow.ts';
import type { ActiveSession } from './session-types.ts';
import { lockPath, TOKENS_LOCK } from './state.ts';

/** A kept token is handed out only while it has this much life left (a client may take a moment to use it). */
const MIN_LIFE_MS = 30_000;

export interface ResourceToken {
  token: string;
  expiresAt: number;
}

/** The keychain account of one resource's token (in the profile's store). */
export function resourceTokenAccount(profile: string, resource: string): string {
  return `${profile}/resource/${resource}`;
}

/** A kept entry's token, when it belongs to this session and resource and has life left. */
export function readKeptToken(text: string | undefined, sessionId: string, resource: string, now: number): ResourceToken | undefined {
  const entry = text === undefined ? undefined : parseJsonObject(text);
  if (!entry || entry.version !== 1 || entry.session_id !== sessionId || entry.resource !== resource) return undefined;
  const { access_token: token, expires_at: expiresAt } = entry;
  if (typeof token !== 'string' || token === '' || typeof expiresAt !== 'number' || expiresAt - now <= MIN_LIFE_MS) return undefined;
  return { token, expiresAt };
}

/** The access token for `resource`: the kept one while it lives, else a new one from the IdP (kept until it expires). */
export async function resourceToken(deps: Deps, profile: Profile, session: ActiveSession, resource: string): Promise<ResourceToken> {
  // Before anything is sent: an IdP may burn the refresh token on a resource it was not asked for at login.
  checkNarrowing(profile, { resource }, session.state.scope);
  const keychain = await deps.keychain();
  const account = resourceTokenAccount(profile.name, resource);
  const kept = () => keychain.getSecret(account, profile.store).then((text) => readKeptToken(text, session.state.session_id, resource, deps.now()));
  const early = await kept();
  if (early) return early;
  const lock = await acquireLock(lockPath(deps.paths.stateDir, profile.name, 'refresh'), TOKENS_LOCK);
  try {
    const meanwhile = await kept();
    if (meanwhile) return meanwhile;
    const tokens = await narrowWhileLocked(deps, profile, { resource }, session);
    const expiresAt = tokens.expires_at ?? deps.now();
    // Listed before it is stored: a crash in between leaves a name to drop, never a token nobody drops.
    recordHeldSecret(deps.paths.stateDir, profile.name, { account, store: profile.store, kind: 'resource-token' });
    await keychain.setSecret(account, profile.store, JSON.stringify({ version: 1, session_id: session.state.session_id, resource, access_token: tokens.access_token, expires_at: expiresAt }));
    return { token: tokens.access_token, expiresAt };
  } finally {
    lock.release();
  }
}
