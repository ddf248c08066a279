/**
 * `guard report --team` arithmetic across people (SPEC §16), on a table of
 * events with a fixed clock: user-days, per-user-day rates, idle gaps per
 * person and laptop, suggestions that may loosen and count the people they
 * affect, and people counted rather than named unless asked.
 */
import { describe, expect, it } from 'vitest';
import { buildEvent, type AuditEvent, type AuditEventName, type AuditFields } from '../../src/audit/event.ts';
import { buildReport, type ReportOptions } from '../../src/audit/report-build.ts';
import { renderText } from '../../src/audit/report-render.ts';
import { peopleAffected, suggestIdle } from '../../src/audit/report-suggest.ts';
import { createStyle } from '../../src/ui/style.ts';

const MIN = 60_000;
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const day = (d: number) => Date.UTC(2026, 10, 23 + d, 9, 0, 0);

const ev = (event: AuditEventName, at: number, fields: AuditFields): AuditEvent => buildEvent(event, { profile: 'default', ...fields }, at);

/**
 * Who worked when: on each listed day, a session of `gaps` — a command at
 * 09:00 and then one after each gap (minutes), all in tier privileged.
 */
const TABLE: Array<{ user: string; host: string; days: number[]; gaps: number[] }> = [
  { user: 'alice', host: 'alice-laptop', days: [0, 1, 2], gaps: [5, 20, 20] },
  { user: 'bob', host: 'bob-laptop', days: [0, 1], gaps: [10, 25, 40] },
  { user: 'carol', host: 'carol-laptop', days: [2], gaps: [3] },
  // dave works on two machines the same day: their clocks are separate (no gap from one to the other).
  { user: 'dave', host: 'dave-laptop', days: [3], gaps: [30] },
  { user: 'dave', host: 'dave-desktop', days: [3], gaps: [16] },
];

function teamEvents(): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (const row of TABLE) {
    for (const d of row.days) {
      const session = `${row.user}-${row.host}-${d}`;
      let t = day(d) + (row.host === 'dave-desktop' ? 7 * MIN : 0);
      const fields = { tier: 'privileged', command: 'kubectl', user: row.user, host: row.host, session_id: session };
      events.push(ev('login', t - MIN, { ...fields, tier: '', command: 'login' }));
      events.push(ev('allowed', t, fields));
      for (const gap of row.gaps) {
        t += gap * MIN;
        events.push(ev('allowed', t, fields));
      }
      events.push(ev('logout', t + MIN, { user: row.user, host: row.host, session_id: session, reason: 'logout' }));
    }
  }
  return events.sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
}

function options(overrides: Partial<ReportOptions> = {}): ReportOptions {
  return {
    now: NOW,
    sinceMs: 30 * DAY,
    target: 1,
    minSessions: 5,
    minDays: 5,
    dayKey: utcDay,
    timezone: 'UTC',
    tiers: [{ name: 'privileged', idle: 15 * MIN, boundBy: 'https://policy.example.com/guard.jws' }],
    log: { files: ['/var/log/guard'], skipped: 0, duplicates: 2 },
    team: {},
    ...overrides,
  };
}

describe('a team report', () => {
  const events = teamEvents();

  it('counts people, hosts and user-days, and rates per user-day', () => {
    const report = buildReport(events, options());
    expect(report.users).toBe(4);
    expect(report.hosts).toBe(5);
    // alice 3 days, bob 2, carol 1, dave 1 (two machines, one day): 7 user-days over 4 calendar days.
    expect(report.window.user_days).toBe(7);
    expect(report.window.working_days).toBe(4);
    // 3+2+1+1+1 sessions, each with one sign-in: 8 prompts over 7 user-days.
    expect(report.prompts).toMatchObject({ total: 8, per_user_day: 1.14, per_working_day: 2 });
    const privileged = report.groups.find((g) => g.tier === 'privileged')!;
    // commands: alice 3×4, bob 2×4, carol 2, dave 2+2 = 26.
    expect(privileged.totals.commands).toBe(26);
    expect(privileged.per_user_day.commands).toBe(3.71);
    expect(report.log).toMatchObject({ files: ['/var/log/guard'], duplicates: 2 });
  });

  it('measures idle gaps per person and laptop, never from one person (or machine) to another', () => {
    const report = buildReport(events, options());
    // alice 3×3, bob 2×3, carol 1, dave 1+1 gaps: no gap spans two people or dave's two machines.
    expect(report.idle_gaps.count).toBe(9 + 6 + 1 + 2);
    const gaps = [...[5, 20, 20, 5, 20, 20, 5, 20, 20], ...[10, 25, 40, 10, 25, 40], 3, 30, 16].sort((a, b) => a - b);
    expect(report.idle_gaps.percentiles_ms.p50).toBe(gaps[Math.ceil(0.5 * gaps.length) - 1]! * MIN);
  });

  it('suggests the shortest limit within the target per user-day, looser if need be, and counts who it helps', () => {
    const [suggestion] = buildReport(events, options()).suggestions;
    // Re-logins at L: gaps > L. 15m: 6 (alice) + 4 (bob) + 1 + 1 (dave) = 12 → 1.71/user-day; 20m: 4+1 = 5 → 0.71.
    expect(suggestion).toMatchObject({
      status: 'loosen',
      current_idle_ms: 15 * MIN,
      suggested_idle_ms: 20 * MIN,
      current_prompts_per_working_day: 1.71,
      predicted_prompts_per_working_day: 0.71,
      working_days: 7,
      people: { total: 4, fewer: 2, more: 0 }, // alice (20m gaps) and dave (16m); bob's 25m/40m and carol's 3m do not change
      gaps_within_suggested_pct: 72.22,
    });
    expect(suggestion!.explanation).toMatch(/^idle 15m → 20m would take idle re-logins from 1\.71 to 0\.71 per user-day \(target 1\): 5 of 18 idle gaps of 4 people exceed 20m over 7 user-days/);
    expect(suggestion!.explanation).toContain('fewer idle re-logins for 2 of 4 people, more for none; max_session and reauth_within (step-up) stay as they are.');
  });

  it('tightens where the target allows, and says who gets more re-logins', () => {
    const [suggestion] = buildReport(events, options({ target: 3, tiers: [{ name: 'privileged', idle: 45 * MIN }] })).suggestions;
    // All 18 gaps are over 1m: 18 / 7 = 2.57 re-logins per user-day, within 3, so the shortest grid limit fits.
    expect(suggestion).toMatchObject({ status: 'tighten', suggested_idle_ms: MIN, predicted_prompts_per_working_day: 2.57, current_prompts_per_working_day: 0, people: { total: 4, fewer: 0, more: 4 } });
    expect(suggestion!.explanation).toContain('fewer idle re-logins for none, more for 4 of 4 people');
  });

  it('counts people in a table: fewer, more, unchanged', () => {
    const byPerson = new Map([
      ['a', [10 * MIN, 20 * MIN]],
      ['b', [40 * MIN]],
      ['c', []],
    ]);
    expect(peopleAffected(byPerson, 30 * MIN, 15 * MIN)).toEqual({ total: 3, fewer: 1, more: 0 });
    expect(peopleAffected(byPerson, 5 * MIN, 15 * MIN)).toEqual({ total: 3, fewer: 0, more: 1 });
    expect(peopleAffected(byPerson, 30 * MIN, undefined)).toEqual({ total: 3, fewer: 0, more: 1 });
    const team = { gapsByPerson: byPerson };
    expect(suggestIdle({ tier: 't', gaps: [...byPerson.values()].flat(), sessions: 9, workingDays: 9, currentIdle: undefined, target: 0, minSessions: 5, minDays: 5, team })).toMatchObject({ status: 'set_limit', suggested_idle_ms: 45 * MIN });
  });

  it('names nobody unless asked: --by user lists people, --by host machines', () => {
    const report = buildReport(events, options());
    const text = renderText(report, createStyle(false), 120);
    expect(text).toContain('4 people on 5 hosts, 7 user-days; 2 duplicate events counted once');
    expect(text).toContain('Activity per user-day');
    expect(text).toContain('8 prompts in 7 user-days: 1.14 per user-day');
    expect(text).not.toMatch(/alice|bob|carol|dave/);
    expect(JSON.stringify(report)).not.toMatch(/alice|bob|carol|dave/);

    const byUser = buildReport(events, options({ team: { by: 'user' } }));
    expect(byUser.by_user!.map((row) => [row.name, row.others, row.days, row.commands, row.prompts, row.idle_gaps])).toEqual([
      ['alice', 1, 3, 12, 3, 9],
      ['bob', 1, 2, 8, 2, 6],
      ['carol', 1, 1, 2, 1, 1],
      ['dave', 2, 1, 4, 2, 2],
    ]);
    expect(renderText(byUser, createStyle(false), 120)).toMatch(/Per user\n\s+user\s+hosts\s+days\s+commands\s+prompts\s+a day\s+idle gaps\s+p50\s+p90\n\s+alice\s+1\s+3\s+12\s+3\s+1\.00\s+9\s+20m\s+20m/);
    const byHost = buildReport(events, options({ team: { by: 'host' } }));
    expect(byHost.by_host!.map((row) => [row.name, row.others])).toEqual([
      ['alice-laptop', 1],
      ['bob-laptop', 1],
      ['carol-laptop', 1],
      ['dave-desktop', 1],
      ['dave-laptop', 1],
    ]);
  });

  it('escapes what people and hosts say about themselves', () => {
    const hostile = [ev('allowed', NOW - 2 * MIN, { tier: 'privileged', user: 'eve\u001b[2J\u202e', host: 'h\r\nforged' }), ev('allowed', NOW - MIN, { tier: 'privileged', user: 'eve\u001b[2J\u202e', host: 'h\r\nforged' })];
    const text = renderText(buildReport(hostile, options({ team: { by: 'user' } })), createStyle(false), 120);
    expect(text).toContain('eve\\x1b[2J\\u{202e}');
    expect(text).not.toMatch(/[\u001b\u202e\r]/);
  });

  it('one laptop\'s report is unchanged: one person, its working days are its user-days', () => {
    const mine = events.filter((e) => e.user === 'alice');
    const local = buildReport(mine, options({ team: undefined, tiers: [{ name: 'privileged', idle: 45 * MIN }] }));
    expect(local.users).toBeUndefined();
    expect(local.window.user_days).toBe(local.window.working_days);
    expect(local.suggestions[0]!.people).toBeUndefined();
  });
});

describe('tiers named by the events', () => {
  it('a tier named __proto__ is a tier like any other: no crash, its gaps counted under its name', () => {
    const fields = { tier: '__proto__', command: 'kubectl', user: 'mallory', host: 'm-laptop', session_id: 'x' };
    const events = [ev('allowed', day(0), fields), ev('allowed', day(0) + 5 * MIN, fields), ...teamEvents()];
    const tiers = [{ name: 'privileged', idle: 15 * MIN }, { name: '__proto__' }];
    const report = buildReport(events, options({ tiers }));
    expect(Object.keys(report.idle_gaps.by_tier)).toEqual(['__proto__', 'privileged']);
    expect(Object.getOwnPropertyDescriptor(report.idle_gaps.by_tier, '__proto__')?.value).toMatchObject({ count: 1 });
    expect(JSON.parse(JSON.stringify(report)).idle_gaps.by_tier.privileged.count).toBe(report.idle_gaps.by_tier.privileged!.count);
    expect(report.suggestions.map((s) => s.tier)).toEqual(['privileged', '__proto__']);
    expect(() => renderText(report, createStyle(false))).not.toThrow();
  });
});

describe('tier names on the terminal', () => {
  it('are escaped wherever the text report shows them, the explanation of a suggestion too', () => {
    const tier = 'ops\u001b]0;pwned\u0007\u202e';
    const fields = { tier, command: 'kubectl\u001b[2J', user: 'mallory', host: 'm-laptop', session_id: 'x', caller: 'kubectl' };
    const events = [ev('allowed', day(0), fields), ev('allowed', day(0) + 5 * MIN, fields)];
    const text = renderText(buildReport(events, options({ tiers: [{ name: tier }] })), createStyle(false));
    expect(text).toContain('ops\\x1b]0;pwned\\x07\\u{202e}');
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
  });
});
