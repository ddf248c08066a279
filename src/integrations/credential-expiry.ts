/**
 * How long a credential handed to a tool may be used (SPEC §9): never past
 * the token's own expiry, nor past the moment the effective tier's next
 * limit (idle, max_session, reauth_within) would fire without further
 * activity. A tool that caches it (kubectl, k9s, git) then asks again and
 * gets a fresh decision. Pure.
 */
import type { Limits } from '../policy/types.ts';
import { nextExpiry, type SessionClocks } from '../session/decide.ts';

/** The moment (ms) the credential stops being usable, for a call allowed at `now` (which counts as activity). */
export function credentialExpiresAt(tokenExpiresAt: number, limits: Limits, session: SessionClocks, now: number): number {
  const next = nextExpiry(limits, { ...session, last_activity: now }, now);
  return next === undefined ? tokenExpiresAt : Math.min(tokenExpiresAt, now + next.in);
}
