/** The profile's current session, as the state folder has it. */
import { warn, type Deps } from '../deps.ts';
import type { Profile } from '../policy/types.ts';
import { readState, type SessionState } from './state.ts';

/** Was this session made for this profile's issuer, client and keychain store? Otherwise it is not this profile's session. */
export function madeFor(state: SessionState, profile: Profile): boolean {
  return state.issuer === profile.issuer && state.client_id === profile.client_id && state.store === profile.store;
}

/** Reads the state, with notes for unusable files, ignoring a session made for another issuer or client. */
export function loadSession(deps: Deps, profile: Profile): SessionState | undefined {
  const { state, note } = readState(deps.paths.stateDir, profile.name);
  if (note) warn(deps, note);
  if (state && !madeFor(state, profile)) {
    warn(deps, `the stored session of profile "${profile.name}" was made for another issuer, client or store; sign in again`);
    return undefined;
  }
  return state;
}
