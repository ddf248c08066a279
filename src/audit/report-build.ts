/**
 * `guard report` as data: a pure function of the events, `now` and the
 * tiers' configured limits. The shape is the stable `--json` output
 * (`report_version: 1`); fields are only ever added. Definitions:
 * - working day: a calendar day (in `dayKey`'s time zone) with at least one
 *   guarded command (`allowed`);
 * - user-day: a person's working day (SPEC §16); one laptop's log has one
 *   person, so its user-days are its working days. Suggestions count
 *   re-logins per user-day;
 * - prompt: see `promptKind`; expiry: see `expiryCause`; idle gap: see
 *   `idleGaps`.
 */
import type { AuditEvent } from './event.ts';
import { expiryCause, hostOf, isActivity, profileOf, promptKind, tierOf, userOf, type PromptKind } from './report-classify.ts';
import { idleGaps, ONE_LAPTOP, TEAM } from './report-gaps.ts';
import { summarizeBy, type ByWhat, type PersonRow } from './report-people.ts';
import { histogram, percentiles, round2, type Bucket } from './report-stats.ts';
import { suggestIdle, type Suggestion } from './report-suggest.ts';
import { summarizeCallers, type CallerSummary } from './report-callers.ts';

export interface TierLimit {
  name: string;
  /** The merged (strictest) idle limit, ms. */
  idle?: number;
  /** The file whose value that is. */
  boundBy?: string;
}

export interface ReportOptions {
  now: number;
  /** Length of the window ending at `now` (ms). */
  sinceMs: number;
  /** Acceptable idle re-logins per working day. */
  target: number;
  minSessions: number;
  minDays: number;
  tier?: string;
  profile?: string;
  /** Calendar day of a moment, `YYYY-MM-DD`. */
  dayKey: (ms: number) => string;
  timezone: string;
  tiers: readonly TierLimit[];
  log: { files: string[]; skipped: number; duplicates?: number };
  /**
   * A team's report (`guard report --team`, SPEC §16): people are told apart
   * by `user`, idle clocks by host, user and profile; suggestions may loosen
   * and count the people they affect; `by` names people (or hosts) per row.
   */
  team?: { by?: ByWhat };
}

export const COUNT_KEYS = ['commands', 'logins', 'step_ups', 'refreshes', 'idle_expiries', 'max_session_expiries', 'prompts'] as const;
export type Counts = Record<(typeof COUNT_KEYS)[number], number>;

export interface GroupReport {
  profile: string;
  tier: string;
  totals: Counts;
  /** Totals divided by the working days of the whole report. */
  per_working_day: Counts;
  /** Totals divided by the user-days of the whole report. */
  per_user_day: Counts;
  /** Only days with at least one event of the group. */
  days: Array<{ date: string } & Counts>;
}

export interface GapSummary {
  count: number;
  percentiles_ms: Record<string, number>;
}

export interface Report {
  report_version: 1;
  generated_at: string;
  window: { since: string; until: string; timezone: string; days: string[]; working_days: number; user_days: number };
  log: { files: string[]; events: number; skipped_lines: number; duplicates?: number };
  /** Team reports: distinct people (`user`) and hosts among the events reported. */
  users?: number;
  hosts?: number;
  filters: { tier: string | null; profile: string | null };
  target_prompts_per_working_day: number;
  prompts: { total: number; per_working_day: number; per_user_day: number; by_kind: Record<PromptKind, number> };
  groups: GroupReport[];
  idle_gaps: GapSummary & { histogram: Bucket[]; by_tier: Record<string, GapSummary> };
  suggestions: Suggestion[];
  /** Tools that asked for a credential (SPEC §9), per caller and server. */
  callers: CallerSummary[];
  /** `--team --by user` / `--by host` only: one row each. */
  by_user?: PersonRow[];
  by_host?: PersonRow[];
}

const zero = (): Counts => ({ commands: 0, logins: 0, step_ups: 0, refreshes: 0, idle_expiries: 0, max_session_expiries: 0, prompts: 0 });

/** What one event adds to its group's counts. */
function count(counts: Counts, event: AuditEvent): void {
  if (event.event === 'allowed') counts.commands++;
  else if (event.event === 'login') counts.logins++;
  else if (event.event === 'step_up') counts.step_ups++;
  else if (event.event === 'refresh' && event.result !== 'rejected') counts.refreshes++;
  const cause = expiryCause(event);
  if (cause === 'idle') counts.idle_expiries++;
  else if (cause === 'max_session') counts.max_session_expiries++;
  if (promptKind(event)) counts.prompts++;
}

/** Every calendar day from `from` to `to`, stepping by hours so DST changes never skip one. */
export function listDays(from: number, to: number, dayKey: (ms: number) => string): string[] {
  const days: string[] = [];
  for (let t = from; ; t = Math.min(t + 3_600_000, to)) {
    const key = dayKey(t);
    if (days[days.length - 1] !== key) days.push(key);
    if (t >= to) return days;
  }
}

const rate = (total: number, days: number) => (days ? round2(total / days) : 0);

function buildGroups(events: readonly AuditEvent[], dayKey: (ms: number) => string, workingDays: number, userDays: number): GroupReport[] {
  const groups = new Map<string, { profile: string; tier: string; totals: Counts; days: Map<string, Counts> }>();
  for (const event of events) {
    const profile = profileOf(event);
    const tier = tierOf(event);
    const key = `${profile}\u0000${tier}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { profile, tier, totals: zero(), days: new Map() }));
    const day = dayKey(Date.parse(event.ts));
    let daily = group.days.get(day);
    if (!daily) group.days.set(day, (daily = zero()));
    count(group.totals, event);
    count(daily, event);
  }
  return [...groups.values()]
    .filter((g) => COUNT_KEYS.some((k) => g.totals[k] > 0))
    .sort((a, b) => a.profile.localeCompare(b.profile) || (a.tier === '-' ? 1 : b.tier === '-' ? -1 : a.tier.localeCompare(b.tier)))
    .map((g) => ({
      profile: g.profile,
      tier: g.tier,
      totals: g.totals,
      per_working_day: Object.fromEntries(COUNT_KEYS.map((k) => [k, rate(g.totals[k], workingDays)])) as Counts,
      per_user_day: Object.fromEntries(COUNT_KEYS.map((k) => [k, rate(g.totals[k], userDays)])) as Counts,
      days: [...g.days.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([date, counts]) => ({ date, ...counts })),
    }));
}

function summarize(values: readonly number[]): GapSummary {
  return { count: values.length, percentiles_ms: percentiles(values) };
}

export function buildReport(allEvents: readonly AuditEvent[], options: ReportOptions): Report {
  const from = options.now - options.sinceMs;
  const inWindow = (ms: number) => ms >= from && ms <= options.now;
  const mine = allEvents.filter((e) => options.profile === undefined || profileOf(e) === options.profile);
  const windowed = mine.filter((e) => inWindow(Date.parse(e.ts)));
  const keys = options.team ? TEAM : ONE_LAPTOP;
  const worked = windowed.filter((e) => e.event === 'allowed');
  const workingDays = new Set(worked.map((e) => options.dayKey(Date.parse(e.ts)))).size;
  const userDays = new Set(worked.map((e) => `${keys.personOf(e)}\u0000${options.dayKey(Date.parse(e.ts))}`)).size;
  const inTier = (tier: string) => options.tier === undefined || tier === options.tier;
  const events = windowed.filter((e) => inTier(tierOf(e)));

  // Gaps are measured over the whole log, so one that began before the window still counts when it ends inside it.
  const gaps = idleGaps(mine, keys).filter((g) => inWindow(g.end) && inTier(g.tier));
  // A Map: a tier is named by the events, and a team's events may name any tier (`__proto__` too).
  const byTier = new Map<string, number[]>();
  for (const gap of gaps) {
    const values = byTier.get(gap.tier);
    if (values) values.push(gap.ms);
    else byTier.set(gap.tier, [gap.ms]);
  }

  const byKind: Record<PromptKind, number> = { login: 0, step_up: 0, login_failed: 0, denied: 0 };
  for (const event of events) {
    const kind = promptKind(event);
    if (kind) byKind[kind]++;
  }
  const prompts = Object.values(byKind).reduce((a, b) => a + b, 0);

  const suggestions = options.tiers
    .filter((tier) => inTier(tier.name))
    .map((tier) =>
      suggestIdle({
        tier: tier.name,
        gaps: byTier.get(tier.name) ?? [],
        sessions: new Set(events.filter((e) => isActivity(e) && e.tier === tier.name && e.session_id).map((e) => e.session_id)).size,
        // One laptop: its working days are its user-days.
        workingDays: userDays,
        currentIdle: tier.idle,
        boundBy: tier.boundBy,
        target: options.target,
        minSessions: options.minSessions,
        minDays: options.minDays,
        ...(options.team ? { team: { gapsByPerson: gapsByPerson(events, gaps, tier.name) } } : {}),
      }),
    );
  const by = options.team?.by;

  return {
    report_version: 1,
    generated_at: new Date(options.now).toISOString(),
    window: { since: new Date(from).toISOString(), until: new Date(options.now).toISOString(), timezone: options.timezone, days: listDays(from, options.now, options.dayKey), working_days: workingDays, user_days: userDays },
    log: { files: options.log.files, events: events.length, skipped_lines: options.log.skipped, ...(options.log.duplicates !== undefined ? { duplicates: options.log.duplicates } : {}) },
    ...(options.team ? { users: distinct(events, userOf), hosts: distinct(events, hostOf) } : {}),
    filters: { tier: options.tier ?? null, profile: options.profile ?? null },
    target_prompts_per_working_day: options.target,
    prompts: { total: prompts, per_working_day: rate(prompts, workingDays), per_user_day: rate(prompts, userDays), by_kind: byKind },
    groups: buildGroups(events, options.dayKey, workingDays, userDays),
    idle_gaps: {
      ...summarize(gaps.map((g) => g.ms)),
      histogram: histogram(gaps.map((g) => g.ms)),
      by_tier: gapsByTier(byTier),
    },
    suggestions,
    callers: summarizeCallers(events),
    ...(by ? { [`by_${by}`]: summarizeBy(by, events, gaps, options.dayKey) } : {}),
  };
}

/** The gaps of each tier, in name order, on an object without a prototype (a tier named `__proto__` is a key like any other). */
function gapsByTier(byTier: ReadonlyMap<string, number[]>): Record<string, GapSummary> {
  const out = Object.create(null) as Record<string, GapSummary>;
  for (const [tier, values] of [...byTier].sort(([a], [b]) => a.localeCompare(b))) out[tier] = summarize(values);
  return out;
}

/** Distinct values among the events, a line of an older guard (no field) not counted. */
function distinct(events: readonly AuditEvent[], of: (event: AuditEvent) => string): number {
  return new Set(events.map(of).filter((value) => value !== '-')).size;
}

/** Each person with commands in the tier, with the idle gaps that ended in it (none for some). */
function gapsByPerson(events: readonly AuditEvent[], gaps: readonly { person: string; tier: string; ms: number }[], tier: string): Map<string, number[]> {
  const people = new Map<string, number[]>();
  for (const event of events) if (isActivity(event) && event.tier === tier) people.set(TEAM.personOf(event), []);
  for (const gap of gaps) if (gap.tier === tier) people.get(gap.person)?.push(gap.ms);
  return people;
}
