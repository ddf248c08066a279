/**
 * Saving and ending sessions: tokens to the keychain first, then the state
 * file; ending revokes the refresh token (best effort), deletes the keychain
 * entry and the state.
 */
import { lazyCrypto } from '../util/builtins.ts';
import type { Deps } from '../deps.ts';
import type { TokenSet } from '../keychain/keychain.ts';
import type { Profile } from '../policy/types.ts';
import { auditUser, STATE_VERSION, updateState, withTokensLock, type SessionState } from './state.ts';
import { removeTickets } from './tickets.ts';
import { rememberSubject } from './last-subject.ts';
import { dropHeldSecrets } from './held-secrets.ts';

export interface NewSession {
  tokens: TokenSet;
  subject: string;
  display_name?: string;
  auth_time?: number;
  scope?: string;
  idp_limits?: { idle?: number; max_session?: number };
}

/** Stores a freshly signed-in session. A step-up keeps the original login_time: it never extends max_session. */
export async function saveSession(deps: Deps, profile: Profile, session: NewSession, keepLoginTime?: number): Promise<SessionState> {
  return withTokensLock(deps.paths.stateDir, profile.name, () => storeSession(deps, profile, session, keepLoginTime));
}

async function storeSession(deps: Deps, profile: Profile, session: NewSession, keepLoginTime?: number): Promise<SessionState> {
  const keychain = await deps.keychain();
  await keychain.set(profile.name, profile.store, session.tokens);
  const now = deps.now();
  const state: SessionState = {
    version: STATE_VERSION,
    profile: profile.name,
    subject: session.subject,
    ...(session.display_name ? { display_name: session.display_name } : {}),
    session_id: lazyCrypto().randomUUID(),
    issuer: profile.issuer,
    client_id: profile.client_id,
    store: profile.store,
    login_time: keepLoginTime ?? now,
    auth_time: session.auth_time ?? null,
    last_activity: now,
    access_expires_at: session.tokens.expires_at ?? null,
    ...(session.tokens.refresh_expires_at ? { refresh_expires_at: session.tokens.refresh_expires_at } : {}),
    ...(session.scope ? { scope: session.scope } : {}),
    ...(session.idp_limits ? { idp_limits: session.idp_limits } : {}),
  };
  updateState(deps.paths.stateDir, profile.name, () => state);
  rememberSubject(deps.paths.stateDir, profile.name, profile.issuer, session.subject, auditUser(state));
  return state;
}

/**
 * Ends a session: revokes its refresh token at the IdP (RFC 7009, best
 * effort), deletes the keychain entry, the credentials obtained with it
 * (SPEC §15) and the state file. Returns warnings.
 */
export async function endSession(deps: Deps, profile: Profile, options: { revoke: boolean }): Promise<string[]> {
  return withTokensLock(deps.paths.stateDir, profile.name, () => clearSession(deps, profile, options));
}

async function clearSession(deps: Deps, profile: Profile, options: { revoke: boolean }): Promise<string[]> {
  // The local session ends first and whatever happens next: a locked or
  // missing keychain must not leave a session that still runs commands.
  // Its person is remembered (a session stored before the record existed, too): only logout forgets it (SPEC §13).
  updateState(deps.paths.stateDir, profile.name, (current) => {
    if (current) rememberSubject(deps.paths.stateDir, profile.name, current.issuer, current.subject, auditUser(current));
    return null;
  });
  removeTickets(deps.paths.stateDir, profile.name);
  const warnings: string[] = [];
  const keychain = await deps.keychain();
  let tokens: TokenSet | undefined;
  try {
    tokens = await keychain.get(profile.name, profile.store);
  } catch (error) {
    // A corrupt entry is still deleted below; an unusable keychain is an error.
    if ((error as { code?: string }).code === 'keychain') throw error;
  }
  if (options.revoke && tokens?.refresh_token) {
    const { revokeToken } = await import('../auth/refresh.ts');
    const problem = await revokeToken(deps, profile, tokens.refresh_token, tokens.access_token);
    if (problem) warnings.push(problem);
  }
  await keychain.delete(profile.name, profile.store);
  await dropHeldSecrets(deps, profile.name);
  return warnings;
}
