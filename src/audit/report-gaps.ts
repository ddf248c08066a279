/**
 * Idle gaps: the time between consecutive guarded commands of one profile
 * (its `last_activity` is shared by every tier, SPEC §3). A gap belongs to
 * the tier of the command that ends it, because that command's idle limit
 * decides whether the gap cost a re-login. Pure.
 */
import type { AuditEvent } from './event.ts';
import { breaksIdleChain, hostOf, isActivity, profileOf, tierOf, userOf } from './report-classify.ts';

export interface IdleGap {
  profile: string;
  /** Whose gap it is (a team's report: the `user`; one laptop's: ''). */
  person: string;
  host: string;
  /** Tier of the command that ended the gap. */
  tier: string;
  /** When the gap ended (ms). */
  end: number;
  ms: number;
}

/** Whose clock an event moves: one laptop's log has one per profile; a team's, one per person, host and profile. */
export interface GapKeys {
  personOf(event: AuditEvent): string;
  /** Events with the same clock (`last_activity`) share a chain. */
  chainOf(event: AuditEvent): string;
}

export const ONE_LAPTOP: GapKeys = { personOf: () => '', chainOf: profileOf };
/** A team's events: a person may work on several laptops, each with its own clock per profile. */
export const TEAM: GapKeys = { personOf: userOf, chainOf: (event) => `${hostOf(event)}\u0000${userOf(event)}\u0000${profileOf(event)}` };

/**
 * Gaps over events in time order. A gap that spans a logout, a lock or a
 * session end for another reason than idle is left out: the next command
 * needed a login whatever the idle limit.
 */
export function idleGaps(events: readonly AuditEvent[], keys: GapKeys = ONE_LAPTOP): IdleGap[] {
  const last = new Map<string, number | undefined>();
  const gaps: IdleGap[] = [];
  for (const event of events) {
    const chain = keys.chainOf(event);
    if (breaksIdleChain(event)) {
      last.set(chain, undefined);
      continue;
    }
    if (!isActivity(event)) continue;
    const at = Date.parse(event.ts);
    const previous = last.get(chain);
    if (previous !== undefined) gaps.push({ profile: profileOf(event), person: keys.personOf(event), host: hostOf(event), tier: tierOf(event), end: at, ms: at - previous });
    last.set(chain, at);
  }
  return gaps;
}
