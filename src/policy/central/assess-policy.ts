/**
 * Pure judgements about a cached central policy at time `now`: is a check
 * due, and may privileged tiers rely on the copy (SPEC §8: a copy's age
 * counts from its last successful fetch or 304).
 */
import { formatDuration } from '../../util/duration.ts';
import type { PolicyCache } from './policy-cache.ts';
import { RETRY_AFTER_FAILURE_MS, type EffectiveSource } from './source.ts';

export interface PolicyHealth {
  /** True when a valid copy, younger than policy_max_stale, is in force. */
  ok: boolean;
  /** Why privileged tiers must fail closed, when not ok. */
  reason?: string;
}

/** When the server should next be asked: policy_refresh after an answer, sooner after a failure. Undefined: now. */
export function nextCheckAt(cache: PolicyCache | undefined, source: EffectiveSource): number | undefined {
  if (cache?.checked_at === undefined) return undefined;
  const wait = cache.outcome === 'failed' ? Math.min(source.refresh, RETRY_AFTER_FAILURE_MS) : source.refresh;
  return cache.checked_at + wait;
}

/** A check is due when its time has come, or when the last one claims to be in the future (clock moved back). */
export function isCheckDue(cache: PolicyCache | undefined, source: EffectiveSource, now: number): boolean {
  const next = nextCheckAt(cache, source);
  return next === undefined || now >= next || cache!.checked_at! > now;
}

export function assessCopy(cache: PolicyCache | undefined, source: EffectiveSource, now: number): PolicyHealth {
  const copy = cache?.copy;
  const last = cache?.problem ? ` (last check: ${cache.problem})` : '';
  if (!copy) return { ok: false, reason: `no valid copy has been fetched yet${last}` };
  if (now >= copy.exp * 1000) return { ok: false, reason: `the cached copy expired at ${new Date(copy.exp * 1000).toISOString()}${last}` };
  // Never trust an age computed from a timestamp in the future: the clock moved back, or the file was edited.
  if (copy.fetched_at > now) return { ok: false, reason: `the cached copy's fetch time is in the future (clock moved back?)${last}` };
  const age = now - copy.fetched_at;
  if (age > source.max_stale) {
    return { ok: false, reason: `the cached copy is ${formatDuration(age)} old, older than policy_max_stale (${formatDuration(source.max_stale)})${last}` };
  }
  return { ok: true };
}
