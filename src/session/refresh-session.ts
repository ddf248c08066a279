/**
 * A silent refresh (SPEC §3) under the profile's tokens lock, safe against
 * parallel guards: waiters reuse the winner's tokens, and a rotated refresh
 * token is stored before anything uses the new access token.
 */
import type { Deps } from '../deps.ts';
import { loadSession } from './current.ts';
import { DEFAULT_SKEW, decide } from './decide.ts';
import type { ActiveSession, SessionNeed } from './session-types.ts';
import { idpLimitsFrom, withIdpLimits } from './idp-limits.ts';
import { idTokenExpiring } from './id-token.ts';
import { acquireLock } from '../files/lock.ts';
import { lockPath, sessionFields, TOKENS_LOCK, updateState, type SessionState } from './state.ts';
import { dropHeldSecrets } from './held-secrets.ts';

/** The IdP rejected the refresh: the session is ended here, and `why` goes into the one line that follows. */
export interface RefreshRejected {
  rejected: string;
}

/**
 * Refreshes under the profile's refresh lock. Waiters re-read the keychain
 * after the lock: if another process already refreshed, they use its tokens.
 * Returns undefined when the session was replaced meanwhile (decide again).
 */
export async function refreshSession(deps: Deps, need: SessionNeed, state: SessionState): Promise<ActiveSession | RefreshRejected | undefined> {
  const { profile } = need;
  const lock = await acquireLock(lockPath(deps.paths.stateDir, profile.name, 'refresh'), TOKENS_LOCK);
  try {
    const keychain = await deps.keychain();
    let tokens = await keychain.get(profile.name, profile.store);
    const current = loadSession(deps, profile);
    if (!tokens || !current || current.session_id !== state.session_id) {
      // Signed out, locked or replaced while we waited: never refresh tokens that belong to no live session.
      // A bound tier decides again from this terminal's ticket (the caller re-reads the state): another
      // terminal's sign-in must not carry it (SPEC §10).
      if (current && tokens && !need.limits.bind && decide(withIdpLimits(need.limits, current.idp_limits), current, deps.now()).action === 'allow') return { state: current, tokens };
      return undefined;
    }
    const stillValid = current.access_expires_at && current.access_expires_at - DEFAULT_SKEW.refreshMargin > deps.now();
    if (stillValid && !(need.needsIdToken && idTokenExpiring(tokens, deps.now()))) {
      return { state: current, tokens }; // refreshed by another process while we waited
    }
    const { refreshTokens } = await import('../auth/refresh.ts');
    let outcome = await refreshTokens(deps, profile, tokens);
    if (!outcome.ok) {
      // Another process may have rotated the refresh token just now: re-read once.
      const again = await keychain.get(profile.name, profile.store);
      if (again?.refresh_token && again.refresh_token !== tokens.refresh_token) {
        tokens = again;
        outcome = await refreshTokens(deps, profile, again);
      }
    }
    // The refreshed ID token must be about the same user (OIDC Core §12.2).
    const changedSubject = outcome.ok && outcome.claims && outcome.claims.sub !== state.subject;
    if (!outcome.ok || changedSubject) {
      const why = outcome.ok ? 'subject_changed' : outcome.rejected;
      deps.audit('refresh', { profile: profile.name, tier: need.tier, rules: need.rules, command: need.command, result: 'rejected', reason: why, ...sessionFields(state) });
      updateState(deps.paths.stateDir, profile.name, () => null);
      await keychain.delete(profile.name, profile.store);
      await dropHeldSecrets(deps, profile.name);
      if (outcome.ok && outcome.tokens.refresh_token) await (await import('../auth/refresh.ts')).revokeToken(deps, profile, outcome.tokens.refresh_token, outcome.tokens.access_token);
      return { rejected: why.replace('_', ' ') };
    }
    // Persist the rotated refresh token before anything uses the new access token.
    await keychain.set(profile.name, profile.store, outcome.tokens);
    // auth_time is not taken from a refreshed ID token (SPEC §13): a refresh is no authentication,
    // and an IdP that stamps "now" on it would otherwise satisfy every step-up.
    const idpLimits = outcome.claims ? idpLimitsFrom(outcome.claims, need.claims ?? {}) : undefined;
    const next = updateState(deps.paths.stateDir, profile.name, (s) =>
      s && s.session_id === state.session_id
        ? {
            ...s,
            access_expires_at: outcome.tokens.expires_at ?? null,
            ...(outcome.tokens.refresh_expires_at ? { refresh_expires_at: outcome.tokens.refresh_expires_at } : {}),
            ...(idpLimits ? { idp_limits: idpLimits } : {}),
          }
        : undefined,
    );
    deps.audit('refresh', { profile: profile.name, tier: need.tier, rules: need.rules, command: need.command, result: 'ok', ...sessionFields(state) });
    return { state: next ?? state, tokens: outcome.tokens };
  } finally {
    lock.release();
  }
}
