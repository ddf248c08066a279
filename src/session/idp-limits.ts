/**
 * IdP-driven limits: optional ID token claims (names set by config
 * `claims: { idle: guard_idle, max_session: guard_max_session }`) that
 * tighten every tier for that user. A claim is a number of seconds or a
 * duration string ("15m"); anything else is ignored, never loosening. Pure.
 */
import { parseDuration } from '../util/duration.ts';
import { strictest } from '../policy/merge.ts';
import type { Limits } from '../policy/types.ts';

export interface ClaimNames {
  idle?: string;
  max_session?: string;
}

function claimDuration(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return Math.round(value * 1000);
  if (typeof value === 'string') return parseDuration(value);
  return undefined;
}

export function idpLimitsFrom(claims: Record<string, unknown>, names: ClaimNames): { idle?: number; max_session?: number } | undefined {
  const limits: { idle?: number; max_session?: number } = {};
  if (names.idle) limits.idle = claimDuration(claims[names.idle]);
  if (names.max_session) limits.max_session = claimDuration(claims[names.max_session]);
  if (limits.idle === undefined) delete limits.idle;
  if (limits.max_session === undefined) delete limits.max_session;
  return Object.keys(limits).length > 0 ? limits : undefined;
}

/** The command's limits tightened by what the IdP said for this user. */
export function withIdpLimits(limits: Limits, idp: { idle?: number; max_session?: number } | undefined): Limits {
  // The IdP's claims say nothing of the offline grace: the tier's stays.
  return idp ? strictest([limits, { ...idp, offline_grace: limits.offline_grace }]) : limits;
}
