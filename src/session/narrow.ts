/**
 * Narrowed tokens (RFC 8707 resource, or a smaller scope) for one
 * invocation: a refresh grant asking for less. The narrowed access token
 * goes only to the child; the rotated refresh token is persisted, the
 * session's own access token is kept.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8707
 */
import type { Deps } from '../deps.ts';
import { GuardError } from '../errors.ts';
import type { TokenSet } from '../keychain/keychain.ts';
import type { Narrowing, Profile } from '../policy/types.ts';
import type { ActiveSession } from './session-types.ts';
import { acquireLock } from '../files/lock.ts';
import { lockPath, sessionFields, TOKENS_LOCK } from './state.ts';
import { loginHint } from './sign-in-terms.ts';

/** Checked before any request: an unknown resource burns the refresh token at some IdPs. */
export function checkNarrowing(profile: Profile, narrowing: Narrowing, grantedScope: string | undefined): void {
  if (narrowing.resource && !profile.resources.includes(narrowing.resource)) {
    throw new GuardError('config', `resource ${narrowing.resource} was not requested at login by profile "${profile.name}"; add it to profiles.${profile.name}.resources and sign in again`);
  }
  if (narrowing.scope) {
    const granted = new Set((grantedScope ?? profile.scopes.join(' ')).split(' '));
    const extra = narrowing.scope.split(' ').filter((s) => !granted.has(s));
    if (extra.length > 0) throw new GuardError('config', `scope ${extra.join(' ')} was not granted at login to profile "${profile.name}"; add it to profiles.${profile.name}.scopes and sign in again`);
  }
}

export async function narrowedTokens(deps: Deps, profile: Profile, narrowing: Narrowing, session: ActiveSession): Promise<TokenSet> {
  checkNarrowing(profile, narrowing, session.state.scope);
  const lock = await acquireLock(lockPath(deps.paths.stateDir, profile.name, 'refresh'), TOKENS_LOCK);
  try {
    return await narrowWhileLocked(deps, profile, narrowing, session);
  } finally {
    lock.release();
  }
}

/** The refresh grant for a narrowed token; the caller holds the profile's refresh lock (rotation must be serialised). */
export async function narrowWhileLocked(deps: Deps, profile: Profile, narrowing: Narrowing, session: ActiveSession): Promise<TokenSet> {
  const keychain = await deps.keychain();
  const stored = await keychain.get(profile.name, profile.store);
  if (!stored?.refresh_token) throw new GuardError('auth', `profile "${profile.name}" has no refresh token to obtain a narrowed token; ${loginHint(profile)}`);
  const { refreshTokens } = await import('../auth/refresh.ts');
  const outcome = await refreshTokens(deps, profile, stored, narrowing);
  if (!outcome.ok) throw new GuardError('auth', `the identity provider refused a narrowed token (${outcome.rejected}); ${loginHint(profile)}`);
  // Persist the rotated refresh token; keep the session's broad access token.
  await keychain.set(profile.name, profile.store, { ...stored, refresh_token: outcome.tokens.refresh_token ?? stored.refresh_token });
  deps.audit('refresh', { profile: profile.name, reason: 'narrowed', ...sessionFields(session.state) });
  return outcome.tokens;
}
