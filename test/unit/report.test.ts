/**
 * `guard report` computations on a synthetic audit log built here with a
 * fixed clock, so every number has a known answer.
 */
import { describe, expect, it } from 'vitest';
import { buildEvent, type AuditEvent, type AuditEventName, type AuditFields } from '../../src/audit/event.ts';
import { buildReport, listDays, type ReportOptions } from '../../src/audit/report-build.ts';
import { breaksIdleChain, expiryCause, promptKind } from '../../src/audit/report-classify.ts';
import { idleGaps } from '../../src/audit/report-gaps.ts';
import { renderCsv, renderText } from '../../src/audit/report-render.ts';
import { histogram, percentile, percentiles, sparkline } from '../../src/audit/report-stats.ts';
import { promptsAt, suggestIdle } from '../../src/audit/report-suggest.ts';
import { createStyle } from '../../src/ui/style.ts';

const MIN = 60_000;
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 30, 12, 0, 0); // Monday 30 Nov 2026, 12:00 UTC
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

const ev = (event: AuditEventName, at: number, fields: AuditFields = {}): AuditEvent => buildEvent(event, { profile: 'p', ...fields }, at);

/**
 * Five working days (23–27 Nov). Each day: an explicit `guard login` at
 * 08:00, a command at 08:01, then 20 more commands after gaps of 1, 2, …, 20
 * minutes, a `guard token` in between (which must not count as activity),
 * and a logout in the evening, so no gap runs overnight. Idle gaps: each of
 * 1..20 minutes five times (100 gaps).
 */
function workWeek(): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (let d = 0; d < 5; d++) {
    const morning = Date.UTC(2026, 10, 23 + d, 8, 0, 0);
    const session = `s${d}`;
    events.push(ev('login', morning, { tier: '', command: 'login', session_id: session }));
    let t = morning + MIN;
    events.push(ev('allowed', t, { tier: 'standard', command: 'kubectl', session_id: session }));
    events.push(ev('command_exit', t + 500, { tier: 'standard', command: 'kubectl', session_id: session, exit_code: 0, duration_ms: 500 }));
    for (let gap = 1; gap <= 20; gap++) {
      if (gap === 10) events.push(ev('allowed', t + 30_000, { tier: 'standard', command: 'token', session_id: session }));
      t += gap * MIN;
      events.push(ev('allowed', t, { tier: 'standard', command: 'kubectl', session_id: session }));
    }
    events.push(ev('refresh', t + 1_000, { tier: 'standard', command: 'kubectl', session_id: session }));
    events.push(ev('logout', t + 60 * MIN, { reason: 'logout', session_id: session }));
  }
  return events;
}

function options(overrides: Partial<ReportOptions> = {}): ReportOptions {
  return {
    now: NOW,
    sinceMs: 30 * DAY,
    target: 3,
    minSessions: 5,
    minDays: 5,
    dayKey: utcDay,
    timezone: 'UTC',
    tiers: [{ name: 'standard', idle: 45 * MIN, boundBy: '/etc/guard/policy.yaml' }],
    log: { files: ['audit.jsonl'], skipped: 0 },
    ...overrides,
  };
}

describe('percentiles (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  it.each([
    [50, 50],
    [75, 75],
    [90, 90],
    [95, 95],
    [99, 99],
    [100, 100],
    [1, 1],
  ])('p%i of 1..100 is %i', (p, expected) => expect(percentile(hundred, p)).toBe(expected));

  it('works on unsorted input, and says nothing for no data', () => {
    expect(percentiles([30, 10, 20])).toEqual({ p50: 20, p75: 30, p90: 30, p95: 30, p99: 30 });
    expect(percentiles([])).toEqual({});
    expect(percentile([], 50)).toBeUndefined();
  });
});

describe('histogram and sparkline', () => {
  it('puts each gap in the bucket [from, to)', () => {
    const buckets = histogram([0, 59_999, 60_000, 5 * MIN, 2 * DAY], [MIN, 5 * MIN]);
    expect(buckets).toEqual([
      { from_ms: 0, to_ms: MIN, count: 2 },
      { from_ms: MIN, to_ms: 5 * MIN, count: 1 },
      { from_ms: 5 * MIN, to_ms: null, count: 2 },
    ]);
  });

  it('scales to the largest value and leaves quiet days blank', () => {
    expect(sparkline([0, 1, 4, 8])).toBe(' ▁▄█');
    expect(sparkline([0, 0])).toBe('  ');
  });
});

describe('what events mean', () => {
  it.each([
    ['login', { reason: 'idle 47m > 45m' }, 'login', 'idle'],
    ['login', { reason: 'session age 8h01m > 8h' }, 'login', 'max_session'],
    ['login', { reason: 'no session' }, 'login', undefined],
    ['login', {}, 'login', undefined],
    ['step_up', { reason: 'auth 12m > 10m ago' }, 'step_up', undefined],
    ['login_failed', { reason: 'auth' }, 'login_failed', undefined],
    ['denied', { reason: 'idle' }, 'denied', 'idle'],
    ['denied', { reason: 'max_session' }, 'denied', 'max_session'],
    ['denied', { reason: 'no_session' }, 'denied', undefined],
    ['denied', { reason: 'confirm_declined' }, undefined, undefined],
    ['denied', { reason: 'policy_unavailable' }, undefined, undefined],
    ['session_expired', { reason: 'idle' }, undefined, 'idle'],
    ['session_expired', { reason: 'max_session' }, undefined, 'max_session'],
    ['allowed', {}, undefined, undefined],
  ] as const)('%s %j: prompt %s, expiry %s', (name, fields, prompt, expiry) => {
    const event = ev(name, NOW, fields);
    expect(promptKind(event)).toBe(prompt);
    expect(expiryCause(event)).toBe(expiry);
  });

  it.each([
    ['logout', { reason: 'lock' }, true],
    ['session_expired', { reason: 'max_session' }, true],
    ['session_expired', { reason: 'refresh_rejected:invalid_grant' }, true],
    ['session_expired', { reason: 'idle' }, false],
    ['denied', { reason: 'max_session' }, true],
    ['denied', { reason: 'idle' }, false],
    ['login', { reason: 'idle 50m > 45m' }, false],
  ] as const)('%s %j breaks the idle chain: %s', (name, fields, expected) => {
    expect(breaksIdleChain(ev(name, NOW, fields))).toBe(expected);
  });
});

describe('idle gaps', () => {
  it('measures per profile between commands that move last_activity, belonging to the tier that ends them', () => {
    const t0 = NOW - DAY;
    const gaps = idleGaps([
      ev('allowed', t0, { tier: 'standard' }),
      ev('allowed', t0 + MIN, { profile: 'other', tier: 'standard' }),
      ev('allowed', t0 + 2 * MIN, { tier: 'standard', command: 'token' }),
      ev('allowed', t0 + 5 * MIN, { tier: 'privileged' }),
      ev('session_expired', t0 + 65 * MIN, { reason: 'idle' }),
      ev('login', t0 + 65 * MIN, { tier: 'privileged', reason: 'no session' }),
      ev('allowed', t0 + 66 * MIN, { tier: 'privileged' }),
      ev('session_expired', t0 + 20 * 60 * MIN, { reason: 'max_session' }),
      ev('allowed', t0 + 20 * 60 * MIN + MIN, { tier: 'standard' }),
      ev('allowed', t0 + 20 * 60 * MIN + 3 * MIN, { tier: 'standard' }),
    ]);
    expect(gaps.map((g) => [g.profile, g.tier, g.ms / MIN])).toEqual([
      ['p', 'privileged', 5],
      ['p', 'privileged', 61], // an idle death is an idle gap: the next command paid for it
      ['p', 'standard', 2], // the gap across the max_session death is left out
    ]);
  });
});

describe('suggestions', () => {
  // Each of 1..20 minutes five times, over five working days: a limit of L
  // minutes (1 ≤ L ≤ 20) leaves 5 × (20 − L) gaps over it, (20 − L) a day.
  const gaps = Array.from({ length: 100 }, (_, i) => ((i % 20) + 1) * MIN);
  const base = { tier: 'standard', gaps, sessions: 5, workingDays: 5, target: 3, minSessions: 5, minDays: 5 };

  it('counts a re-login for every gap strictly longer than the limit', () => {
    expect(promptsAt(gaps, 17 * MIN)).toBe(15);
    expect(promptsAt(gaps, 20 * MIN)).toBe(0);
  });

  it('picks the shortest grid limit within target, below the configured one', () => {
    const s = suggestIdle({ ...base, currentIdle: 45 * MIN });
    // 15m → 5 a day (too many); 20m → 0 a day.
    expect(s).toMatchObject({ status: 'tighten', suggested_idle_ms: 20 * MIN, predicted_prompts_per_working_day: 0, current_prompts_per_working_day: 0, gaps_over_suggested: 0, thin_data: false });
    expect(s.explanation).toBe('20m is the shortest idle limit that keeps re-logins within 3 per working day: 0 of 100 idle gaps exceed 20m over 5 working days (0 re-logins a day), against 0 a day at the current 45m.');
  });

  it('with a looser target, a shorter limit fits', () => {
    expect(suggestIdle({ ...base, currentIdle: 45 * MIN, target: 5 })).toMatchObject({ status: 'tighten', suggested_idle_ms: 15 * MIN, predicted_prompts_per_working_day: 5 });
  });

  it('never suggests looser than the policy allows, and says the target is out of reach', () => {
    const s = suggestIdle({ ...base, currentIdle: 15 * MIN, boundBy: '/etc/guard/policy.yaml' });
    expect(s).toMatchObject({ status: 'over_target', suggested_idle_ms: 15 * MIN, predicted_prompts_per_working_day: 5, gaps_over_suggested: 25 });
    expect(s.explanation).toContain('the longest the policy allows (set by /etc/guard/policy.yaml)');
    expect(s.explanation).toContain('25 of 100 idle gaps exceed 15m over 5 working days (5 re-logins a day)');
  });

  it('keeps a configured limit off the grid when nothing shorter fits', () => {
    // 17m: 15 gaps over it, 3 a day — exactly the target; 15m would be 5.
    const s = suggestIdle({ ...base, currentIdle: 17 * MIN });
    expect(s).toMatchObject({ status: 'keep', suggested_idle_ms: 17 * MIN, predicted_prompts_per_working_day: 3 });
    expect(s.explanation).toBe('Keep 17m: 15 of 100 idle gaps exceed 17m over 5 working days (3 re-logins a day), and 15m would mean 5 re-logins a day, over the target of 3.');
  });

  it('flags thin data (fewer than N sessions or days)', () => {
    const s = suggestIdle({ ...base, currentIdle: 45 * MIN, sessions: 4 });
    expect(s.thin_data).toBe(true);
    expect(s.explanation).toMatch(/Thin data \(4 sessions over 5 working days; 5 sessions and 5 days wanted\)/);
    expect(suggestIdle({ ...base, currentIdle: 45 * MIN, workingDays: 4 }).thin_data).toBe(true);
  });

  it('says when there is nothing to go on, or no limit set', () => {
    expect(suggestIdle({ ...base, gaps: [], currentIdle: 45 * MIN })).toMatchObject({ status: 'no_data', suggested_idle_ms: null, thin_data: true });
    expect(suggestIdle({ ...base, currentIdle: undefined })).toMatchObject({ status: 'set_limit', suggested_idle_ms: 20 * MIN });
  });
});

describe('the whole report', () => {
  const extra = [
    ev('allowed', NOW - 40 * DAY, { tier: 'standard', command: 'kubectl', session_id: 'old' }), // before the window
    ev('logout', NOW - 40 * DAY + MIN, { reason: 'lock', session_id: 'old' }),
    ev('denied', Date.UTC(2026, 10, 27, 18, 0), { tier: 'standard', reason: 'idle', command: 'kubectl' }),
    ev('denied', Date.UTC(2026, 10, 27, 18, 1), { tier: 'standard', reason: 'confirm_declined', command: 'kubectl' }),
    ev('login_failed', Date.UTC(2026, 10, 27, 18, 2), { tier: 'standard', reason: 'cancelled', command: 'kubectl' }),
  ];
  const events = [...workWeek(), ...extra].sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));

  it('counts working days, prompts a day, activity per tier and the gap distribution', () => {
    const report = buildReport(events, options());
    expect(report.window.working_days).toBe(5);
    expect(report.window.days).toHaveLength(31);
    // 5 morning sign-ins + 1 refusal for idle + 1 failed sign-in; the declined confirmation is no prompt.
    expect(report.prompts).toEqual({ total: 7, per_working_day: 1.4, per_user_day: 1.4, by_kind: { login: 5, step_up: 0, login_failed: 1, denied: 1 } });
    const standard = report.groups.find((g) => g.tier === 'standard')!;
    expect(standard.totals).toEqual({ commands: 5 * 22, logins: 0, step_ups: 0, refreshes: 5, idle_expiries: 1, max_session_expiries: 0, prompts: 2 });
    expect(standard.per_working_day.commands).toBe(22);
    expect(standard.days.map((d) => d.date)).toEqual(['2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26', '2026-11-27']);
    const session = report.groups.find((g) => g.tier === '-')!;
    expect(session.totals.logins).toBe(5);
    expect(report.idle_gaps.count).toBe(100);
    expect(report.idle_gaps.percentiles_ms).toEqual({ p50: 10 * MIN, p75: 15 * MIN, p90: 18 * MIN, p95: 19 * MIN, p99: 20 * MIN });
    expect(report.idle_gaps.histogram.slice(0, 4).map((b) => b.count)).toEqual([0, 20, 50, 30]);
    expect(report.suggestions).toEqual([expect.objectContaining({ tier: 'standard', status: 'tighten', suggested_idle_ms: 20 * MIN, sessions: 5, working_days: 5 })]);
  });

  it('narrows to a tier and to a window', () => {
    const lastTwoDays = buildReport(events, options({ sinceMs: Date.UTC(2026, 10, 30, 12) - Date.UTC(2026, 10, 26, 0) }));
    expect(lastTwoDays.window.working_days).toBe(2);
    expect(lastTwoDays.idle_gaps.count).toBe(40);
    expect(lastTwoDays.suggestions[0]!.thin_data).toBe(true);
    const privileged = buildReport(events, options({ tier: 'privileged', tiers: [] }));
    expect(privileged.groups).toEqual([]);
    expect(privileged.idle_gaps.count).toBe(0);
    expect(privileged.window.working_days).toBe(5);
  });

  it('prints a text report with the numbers and a CSV of days', () => {
    const report = buildReport(events, options({ log: { files: ['a', 'b'], skipped: 2 } }));
    const text = renderText(report, createStyle(false), 100);
    expect(text).toContain('5 working days');
    expect(text).toContain('2 corrupt lines skipped');
    expect(text).toContain('7 prompts in 5 working days: 1.40 per working day');
    expect(text).toContain('p50 10m  p75 15m  p90 18m  p95 19m  p99 20m');
    expect(text).toMatch(/standard {2}idle 45m {2}→ 20m\n {4}20m is the shortest/);
    const csv = renderCsv(report).split('\r\n');
    expect(csv[0]).toBe('date,profile,tier,commands,logins,step_ups,refreshes,idle_expiries,max_session_expiries,prompts');
    expect(csv).toContain('2026-11-23,p,standard,22,0,0,1,0,0,0');
    expect(csv).toContain('2026-11-23,p,-,0,1,0,0,0,0,1');
  });

  it('keeps spreadsheet cells from being read as formulas', () => {
    const report = buildReport([ev('allowed', NOW - MIN, { profile: '=HYPERLINK("x")', tier: 'standard' })], options());
    expect(renderCsv(report).split('\r\n')[1]).toBe(`2026-11-30,"'=HYPERLINK(""x"")",standard,1,0,0,0,0,0,0`);
  });
});

describe('calendar days', () => {
  it('lists every day of the window, first and last included', () => {
    expect(listDays(Date.UTC(2026, 0, 30, 23), Date.UTC(2026, 1, 2, 1), utcDay)).toEqual(['2026-01-30', '2026-01-31', '2026-02-01', '2026-02-02']);
  });
});
