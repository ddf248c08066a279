/**
 * `guard report --team --by user|host`: one row per person (or laptop).
 * Without `--by`, a team's report counts people and never names them
 * (SPEC §16). Pure.
 */
import type { AuditEvent } from './event.ts';
import { hostOf, promptKind, userOf } from './report-classify.ts';
import type { IdleGap } from './report-gaps.ts';
import { percentile, round2 } from './report-stats.ts';

export type ByWhat = 'user' | 'host';

export interface PersonRow {
  /** The user or the host, as the events say it (escape it before printing). */
  name: string;
  /** With --by user: the hosts this person worked on; with --by host: the people who worked on it. */
  others: number;
  /** Days with at least one guarded command. */
  days: number;
  commands: number;
  prompts: number;
  prompts_per_day: number;
  idle_gaps: number;
  gap_p50_ms: number | null;
  gap_p90_ms: number | null;
}

export function summarizeBy(by: ByWhat, events: readonly AuditEvent[], gaps: readonly IdleGap[], dayKey: (ms: number) => string): PersonRow[] {
  const keyOf = by === 'user' ? userOf : hostOf;
  const otherOf = by === 'user' ? hostOf : userOf;
  const rows = new Map<string, { others: Set<string>; days: Set<string>; commands: number; prompts: number; gaps: number[] }>();
  const row = (name: string) => {
    let found = rows.get(name);
    if (!found) rows.set(name, (found = { others: new Set(), days: new Set(), commands: 0, prompts: 0, gaps: [] }));
    return found;
  };
  for (const event of events) {
    const r = row(keyOf(event));
    r.others.add(otherOf(event));
    if (event.event === 'allowed') {
      r.commands++;
      r.days.add(dayKey(Date.parse(event.ts)));
    }
    if (promptKind(event)) r.prompts++;
  }
  for (const gap of gaps) row(by === 'user' ? gap.person : gap.host).gaps.push(gap.ms);
  return [...rows.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, r]) => {
      const sorted = [...r.gaps].sort((x, y) => x - y);
      return {
        name,
        others: r.others.size,
        days: r.days.size,
        commands: r.commands,
        prompts: r.prompts,
        prompts_per_day: r.days.size ? round2(r.prompts / r.days.size) : 0,
        idle_gaps: sorted.length,
        gap_p50_ms: percentile(sorted, 50) ?? null,
        gap_p90_ms: percentile(sorted, 90) ?? null,
      };
    });
}
