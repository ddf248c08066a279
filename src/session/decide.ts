/**
 * The decision of SPEC §3, as a pure function of the effective limits, the
 * session's clocks and `now`. No I/O, no clock of its own.
 */
import { formatDuration } from '../util/duration.ts';
import type { Limits } from '../policy/types.ts';

export interface SessionClocks {
  /** When the session was created by a device-flow login (ms since epoch). */
  login_time: number;
  /** The IdP's `auth_time` from the validated ID token (ms), if it sent one. */
  auth_time?: number | null;
  /** The last allowed command or `guard touch` (ms). */
  last_activity: number;
  /** When the stored access token expires (ms). */
  access_expires_at?: number | null;
}

export type LoginReason = 'no_session' | 'idle' | 'max_session' | 'invalid_state';
export type Decision =
  | { action: 'allow' }
  | { action: 'refresh'; reason: 'token_expired'; message: string }
  | { action: 'login'; reason: LoginReason; message: string }
  /** `within` and `since` (ms): how recent a sign-in the tier needs, and how long ago the last one was. */
  | { action: 'step_up'; reason: 'reauth'; message: string; within?: number; since?: number };

export interface DecideOptions {
  /** Tolerance for timestamps written by this machine (concurrent writers); beyond it, future = invalid. */
  localSkew?: number;
  /** Tolerance for the IdP's clock (auth_time). */
  idpSkew?: number;
  /** Refresh this long before the access token actually expires. */
  refreshMargin?: number;
}

export const DEFAULT_SKEW = { localSkew: 1_000, idpSkew: 10_000, refreshMargin: 1_000 } as const;

const over = (what: string, elapsed: number, limit: number) => `${what} ${formatDuration(elapsed)} > ${formatDuration(limit)}`;

export function decide(limits: Limits, session: SessionClocks | undefined, now: number, options: DecideOptions = {}): Decision {
  const { localSkew, idpSkew, refreshMargin } = { ...DEFAULT_SKEW, ...options };
  if (!session) return { action: 'login', reason: 'no_session', message: 'no session' };
  if (session.login_time > now + localSkew) return { action: 'login', reason: 'invalid_state', message: 'session start is in the future (clock moved back?)' };
  if (limits.idle !== undefined) {
    // A future timestamp counts as no activity (like sudo): never clamp it to now.
    if (session.last_activity > now + localSkew) return { action: 'login', reason: 'idle', message: 'last activity is in the future (clock moved back?); treated as idle' };
    const idle = now - session.last_activity;
    if (idle > limits.idle) return { action: 'login', reason: 'idle', message: over('idle', idle, limits.idle) };
  }
  if (limits.max_session !== undefined) {
    const age = now - session.login_time;
    if (age > limits.max_session) return { action: 'login', reason: 'max_session', message: over('session age', age, limits.max_session) };
  }
  if (limits.reauth_within !== undefined) {
    const auth = session.auth_time;
    if (auth === undefined || auth === null) return { action: 'step_up', reason: 'reauth', message: 'the IdP gave no auth_time' };
    if (auth > now + idpSkew) return { action: 'step_up', reason: 'reauth', message: 'auth_time is in the future; treated as invalid' };
    const since = now - auth;
    if (since > limits.reauth_within) return { action: 'step_up', reason: 'reauth', message: `a sign-in in the last ${formatDuration(limits.reauth_within)} is needed; yours was ${formatDuration(since)} ago`, within: limits.reauth_within, since };
  }
  if (session.access_expires_at === undefined || session.access_expires_at === null || session.access_expires_at - refreshMargin <= now) {
    return { action: 'refresh', reason: 'token_expired', message: 'access token expired' };
  }
  return { action: 'allow' };
}

/**
 * A session is dead when it exceeds the loosest tier's idle or max_session:
 * no command could run on it any more, so guard deletes it and revokes the
 * refresh token (SPEC §3, §8).
 */
export function deathReason(loosest: Limits, session: SessionClocks, now: number, options: DecideOptions = {}): 'idle' | 'max_session' | undefined {
  const { localSkew } = { ...DEFAULT_SKEW, ...options };
  // A timestamp in the future counts as no activity (SPEC §8): past every limit, not "now".
  if (loosest.idle !== undefined && (session.last_activity > now + localSkew || now - session.last_activity > loosest.idle)) return 'idle';
  if (loosest.max_session !== undefined && (session.login_time > now + localSkew || now - session.login_time > loosest.max_session)) return 'max_session';
  return undefined;
}

/**
 * How much of a tier's `offline_grace` is left for a session whose access
 * token expired while the IdP cannot be reached (ms), or undefined when
 * none is (no grace, no known expiry, or past it). The other limits are
 * `decide`'s: the grace only stands in for the refresh it could not do.
 */
export function offlineGraceLeft(limits: Limits, session: SessionClocks, now: number): number | undefined {
  if (!limits.offline_grace || session.access_expires_at === undefined || session.access_expires_at === null) return undefined;
  const left = session.access_expires_at + limits.offline_grace - now;
  return left > 0 ? left : undefined;
}

/** When each clock of a tier fires next (for `guard status`): the soonest one, in ms from now. */
export function nextExpiry(limits: Limits, session: SessionClocks, now: number): { clock: 'idle' | 'max_session' | 'reauth_within'; in: number } | undefined {
  const candidates: Array<{ clock: 'idle' | 'max_session' | 'reauth_within'; in: number }> = [];
  if (limits.idle !== undefined) candidates.push({ clock: 'idle', in: session.last_activity + limits.idle - now });
  if (limits.max_session !== undefined) candidates.push({ clock: 'max_session', in: session.login_time + limits.max_session - now });
  if (limits.reauth_within !== undefined && session.auth_time) candidates.push({ clock: 'reauth_within', in: session.auth_time + limits.reauth_within - now });
  return candidates.sort((a, b) => a.in - b.in)[0];
}

/** The clocks one terminal keeps for the `bind: terminal` tiers of a session (SPEC §10). */
export interface TicketClocks {
  /** The auth_time of the last login or step-up guard ran in this terminal (ms). */
  auth_time: number | null;
  /** The last allowed command of a bound tier in this terminal (ms). */
  last_activity: number;
}

/**
 * The decision for a `bind: terminal` tier: the session's own age and token
 * as in `decide`, the idle clock and step-up freshness from this terminal's
 * ticket. A terminal without a ticket, or whose ticket is idle or too old,
 * needs its own re-authentication (a step-up), whatever other terminals did.
 */
export function decideBound(limits: Limits, session: SessionClocks | undefined, ticket: TicketClocks | undefined, now: number, options: DecideOptions = {}): Decision {
  if (!session) return decide(limits, undefined, now, options);
  const own = decide({ max_session: limits.max_session }, session, now, options);
  if (own.action === 'login') return own;
  if (!ticket) return { action: 'step_up', reason: 'reauth', message: 'this terminal has not authenticated yet' };
  const decision = decide(limits, { ...session, last_activity: ticket.last_activity, auth_time: ticket.auth_time }, now, options);
  if (decision.action === 'login') return { action: 'step_up', reason: 'reauth', message: `in this terminal: ${decision.message}` };
  if (decision.action === 'step_up') return { action: 'step_up', reason: 'reauth', message: `in this terminal: ${decision.message}` };
  return decision;
}
