/**
 * Which tools asked guard for a credential (SPEC §9: kube-credential,
 * git-credential), per caller and server: how often it was handed out or
 * refused, under which tiers, and when last. Pure: events in, rows out.
 */
import type { AuditEvent } from './event.ts';
import { isCredentialCaller } from '../policy/names.ts';

export interface CallerSummary {
  caller: string;
  /** The cluster server or git URL; null when the tool did not say (no provideClusterInfo). */
  server: string | null;
  allowed: number;
  denied: number;
  tiers: string[];
  /** ISO 8601 time of the last request. */
  last: string;
}

export function summarizeCallers(events: readonly AuditEvent[]): CallerSummary[] {
  const rows = new Map<string, CallerSummary>();
  for (const event of events) {
    if ((event.event !== 'allowed' && event.event !== 'denied') || !isCredentialCaller(event.command)) continue;
    const server = typeof event.server === 'string' ? event.server : null;
    const key = `${event.command}\u0000${server ?? ''}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { caller: event.command, server, allowed: 0, denied: 0, tiers: [], last: event.ts }));
    if (event.event === 'allowed') row.allowed++;
    else row.denied++;
    if (typeof event.tier === 'string' && !row.tiers.includes(event.tier)) row.tiers.push(event.tier);
    if (Date.parse(event.ts) > Date.parse(row.last)) row.last = event.ts;
  }
  return [...rows.values()].sort((a, b) => a.caller.localeCompare(b.caller) || (a.server ?? '').localeCompare(b.server ?? '')).map((row) => ({ ...row, tiers: row.tiers.sort() }));
}
