/**
 * Idle gaps: the time between consecutive guarded commands of one profile
 * (its `last_activity` is shared by every tier, SPEC §3). A gap belongs to
 * the tier of the command that ends it, because that command's idle limit
 * decides whether the gap cost a re-login. Pure.
 */
import type { AuditEvent } from './event.ts';
import { breaksIdleChain, isActivity, profileOf, tierOf } from './report-classify.ts';

export interface IdleGap {
  profile: string;
  /** Tier of the command that ended the gap. */
  tier: string;
  /** When the gap ended (ms). */
  end: number;
  ms: number;
}

/**
 * Gaps over events in time order. A gap that spans a logout, a lock or a
 * session end for another reason than idle is left out: the next command
 * needed a login whatever the idle limit.
 */
export function idleGaps(events: readonly AuditEvent[]): IdleGap[] {
  const last = new Map<string, number | undefined>();
  const gaps: IdleGap[] = [];
  for (const event of events) {
    const profile = profileOf(event);
    if (breaksIdleChain(event)) {
      last.set(profile, undefined);
      continue;
    }
    if (!isActivity(event)) continue;
    const at = Date.parse(event.ts);
    const previous = last.get(profile);
    if (previous !== undefined) gaps.push({ profile, tier: tierOf(event), end: at, ms: at - previous });
    last.set(profile, at);
  }
  return gaps;
}
