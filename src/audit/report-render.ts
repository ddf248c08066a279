/** `guard report` for people (text, optional colour) and for spreadsheets (CSV). Pure: the report in, text out. */
import type { Style } from '../ui/style.ts';
import { formatDuration } from '../util/duration.ts';
import { escapeControl } from '../util/text.ts';
import { COUNT_KEYS, type Report } from './report-build.ts';
import { bar, peopleCount, sparkline } from './report-stats.ts';

const HEADINGS: Record<(typeof COUNT_KEYS)[number], string> = {
  commands: 'commands',
  logins: 'logins',
  step_ups: 'step-ups',
  refreshes: 'refreshes',
  idle_expiries: 'idle exp',
  max_session_expiries: 'max exp',
  prompts: 'prompts',
};

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Sums neighbouring values so a long window still fits in `cells` characters. */
function compress(values: readonly number[], cells: number): number[] {
  if (values.length <= cells) return [...values];
  const per = Math.ceil(values.length / cells);
  const out: number[] = [];
  for (let i = 0; i < values.length; i += per) out.push(values.slice(i, i + per).reduce((a, b) => a + b, 0));
  return out;
}

function table(rows: string[][], rightAligned: (column: number) => boolean): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return rows.map((row) => `  ${row.map((cell, c) => (rightAligned(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd()}`);
}

function bucketLabel(from: number, to: number | null): string {
  if (from === 0) return `< ${formatDuration(to!)}`;
  return to === null ? `≥ ${formatDuration(from)}` : `${formatDuration(from)}–${formatDuration(to)}`;
}

/** A team's report counts per user-day (SPEC §16); one laptop's per working day (the same days). */
const isTeam = (report: Report) => report.users !== undefined;
const dayUnit = (report: Report) => (isTeam(report) ? 'user-day' : 'working day');

function renderGroups(report: Report, s: Style): string[] {
  if (report.groups.length === 0) return ['  no guarded activity in this period'];
  const header = ['profile', 'tier', ...COUNT_KEYS.map((k) => HEADINGS[k])];
  const rows = report.groups.map((g) => [escapeControl(g.profile), escapeControl(g.tier), ...COUNT_KEYS.map((k) => (isTeam(report) ? g.per_user_day : g.per_working_day)[k].toFixed(1))]);
  const lines = table([header, ...rows], (c) => c >= 2);
  return [s.dim(lines[0]!), ...lines.slice(1)];
}

/** Commands per calendar day of the window, one sparkline per group that ran any. */
function renderDaily(report: Report, columns: number): string[] {
  const days = report.window.days;
  const groups = report.groups.filter((g) => g.totals.commands > 0);
  if (groups.length === 0) return [];
  const labels = groups.map((g) => `${escapeControl(g.profile)}/${escapeControl(g.tier)}`);
  const width = Math.max(...labels.map((l) => l.length));
  const cells = Math.max(10, Math.min(days.length, columns - width - 16));
  const lines = [`Commands per day, ${days[0]} … ${days[days.length - 1]}${cells < days.length ? ` (${Math.ceil(days.length / cells)} days a cell)` : ''}`];
  groups.forEach((g, i) => {
    const byDay = new Map(g.days.map((d) => [d.date, d.commands]));
    const values = compress(days.map((d) => byDay.get(d) ?? 0), cells);
    lines.push(`  ${labels[i]!.padEnd(width)}  ${sparkline(values)}  max ${Math.max(...values)}`);
  });
  return lines;
}

function renderGaps(report: Report): string[] {
  const gaps = report.idle_gaps;
  if (gaps.count === 0) return ['  no idle gaps yet (they need two guarded commands of one profile)'];
  const pcts = Object.entries(gaps.percentiles_ms).map(([p, ms]) => `${p} ${formatDuration(ms)}`).join('  ');
  const lines = [`  ${pcts}`];
  const max = Math.max(...gaps.histogram.map((b) => b.count));
  const labels = gaps.histogram.map((b) => bucketLabel(b.from_ms, b.to_ms));
  const width = Math.max(...labels.map((l) => l.length));
  gaps.histogram.forEach((b, i) => lines.push(`  ${labels[i]!.padEnd(width)}  ${bar(b.count, max, 30).padEnd(30)}  ${b.count}`));
  for (const [tier, summary] of Object.entries(gaps.by_tier)) {
    const p = summary.percentiles_ms;
    lines.push(`  tier ${escapeControl(tier)}: ${plural(summary.count, 'gap')}, p50 ${formatDuration(p.p50!)}, p90 ${formatDuration(p.p90!)}`);
  }
  return lines;
}

function renderSuggestions(report: Report, s: Style): string[] {
  if (report.suggestions.length === 0) return ['  no configured tier to tune'];
  return report.suggestions.flatMap((x) => {
    const current = x.current_idle_ms === null ? 'no idle limit' : `idle ${formatDuration(x.current_idle_ms)}`;
    const verdict =
      x.status === 'tighten' || x.status === 'loosen' || x.status === 'set_limit' ? s.green(`→ ${formatDuration(x.suggested_idle_ms!)}`)
        : x.status === 'keep' ? s.green('keep')
          : x.status === 'over_target' ? s.yellow('over target')
            : s.dim('no data');
    return [`  ${s.bold(escapeControl(x.tier))}  ${current}  ${verdict}${x.thin_data && x.status !== 'no_data' ? s.yellow('  (thin data)') : ''}`, `    ${escapeControl(x.explanation)}`]; // names the tier, which a team's events may name
  });
}

function renderCallers(report: Report, s: Style): string[] {
  const header = ['caller', 'server', 'handed out', 'refused', 'tiers', 'last'];
  const rows = report.callers.map((c) => [escapeControl(c.caller), escapeControl(c.server ?? '-'), String(c.allowed), String(c.denied), c.tiers.map(escapeControl).join(', '), c.last.slice(0, 16).replace('T', ' ')]);
  const lines = table([header, ...rows], (c) => c === 2 || c === 3);
  return [s.dim(lines[0]!), ...lines.slice(1)];
}

/** `--by user` / `--by host`: the one place a team's report names people (or laptops). */
function renderBy(report: Report, s: Style): string[][] {
  const by = report.by_user ? 'user' : report.by_host ? 'host' : undefined;
  if (!by) return [];
  const rows = (by === 'user' ? report.by_user : report.by_host)!;
  const header = [by, by === 'user' ? 'hosts' : 'people', 'days', 'commands', 'prompts', 'a day', 'idle gaps', 'p50', 'p90'];
  const gap = (ms: number | null) => (ms === null ? '-' : formatDuration(ms));
  const lines = table(
    [header, ...rows.map((r) => [escapeControl(r.name), String(r.others), String(r.days), String(r.commands), String(r.prompts), r.prompts_per_day.toFixed(2), String(r.idle_gaps), gap(r.gap_p50_ms), gap(r.gap_p90_ms)])],
    (c) => c >= 1,
  );
  return [[s.bold(`Per ${by}`), s.dim(lines[0]!), ...lines.slice(1)]];
}

export function renderText(report: Report, s: Style, columns = 100): string {
  const { window: w, log, prompts } = report;
  const days = w.days;
  const team = isTeam(report) ? [`${peopleCount(report.users!)} on ${plural(report.hosts!, 'host')}, ${plural(w.user_days, 'user-day')}${log.duplicates ? `; ${plural(log.duplicates, 'duplicate event')} counted once` : ''}`] : [];
  const filters = [report.filters.tier && `tier ${escapeControl(report.filters.tier)} only`, report.filters.profile && `profile ${escapeControl(report.filters.profile)} only`].filter(Boolean);
  const daily = renderDaily(report, columns);
  const sections: string[][] = [
    [
      s.bold(`guard report — ${days[0]} … ${days[days.length - 1]} (${plural(days.length, 'day')}, ${w.timezone}), ${plural(w.working_days, 'working day')}`),
      `${plural(log.events, 'event')} from ${plural(log.files.length, isTeam(report) ? 'path' : 'log file')}${log.skipped_lines ? s.yellow(`; ${plural(log.skipped_lines, isTeam(report) ? 'unusable line' : 'corrupt line')} skipped`) : ''}${filters.map((f) => `; ${f}`).join('')}`,
      ...team,
    ],
    [s.bold(`Activity per ${dayUnit(report)}`), ...renderGroups(report, s)],
    ...(daily.length ? [[s.bold(daily[0]!), ...daily.slice(1)]] : []),
    [
      s.bold('Prompts'),
      isTeam(report)
        ? `  ${plural(prompts.total, 'prompt')} in ${plural(w.user_days, 'user-day')}: ${prompts.per_user_day.toFixed(2)} per user-day (sign-ins ${prompts.by_kind.login}, step-ups ${prompts.by_kind.step_up}, failed sign-ins ${prompts.by_kind.login_failed}, refusals ${prompts.by_kind.denied})`
        : `  ${plural(prompts.total, 'prompt')} in ${plural(w.working_days, 'working day')}: ${prompts.per_working_day.toFixed(2)} per working day (sign-ins ${prompts.by_kind.login}, step-ups ${prompts.by_kind.step_up}, failed sign-ins ${prompts.by_kind.login_failed}, refusals ${prompts.by_kind.denied})`,
    ],
    [s.bold(`Idle gaps between guarded commands (${report.idle_gaps.count})`), ...renderGaps(report)],
    [s.bold(`Suggestions (target: at most ${report.target_prompts_per_working_day} idle re-logins per ${dayUnit(report)})`), ...renderSuggestions(report, s)],
    ...(report.callers.length ? [[s.bold('Tools that asked for credentials'), ...renderCallers(report, s)]] : []),
    ...renderBy(report, s),
  ];
  return `${sections.map((lines) => lines.join('\n')).join('\n\n')}\n`;
}

/** A cell for spreadsheets: quoted when needed, and never read as a formula (CSV injection). */
function csvCell(value: string | number): string {
  let text = String(value);
  if (/^[=+@\t\r]/.test(text) || /^-./.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The per-day activity table: one row per day, profile and tier with any event. */
export function renderCsv(report: Report): string {
  const rows: Array<Array<string | number>> = [['date', 'profile', 'tier', ...COUNT_KEYS]];
  const all = report.groups.flatMap((g) => g.days.map((d) => ({ g, d })));
  all.sort((a, b) => a.d.date.localeCompare(b.d.date));
  for (const { g, d } of all) rows.push([d.date, g.profile, g.tier, ...COUNT_KEYS.map((k) => d[k])]);
  return rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
