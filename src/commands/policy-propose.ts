/**
 * `guard policy propose [--team PATH…] [--since 30d] [--target N]` (SPEC
 * §16): the report's idle suggestions as the next system-layer policy, on
 * stdout, for the policy owner to review, sign and publish. Against the
 * central policy in force, else the local system layer.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Deps } from '../deps.ts';
import { buildReport, type Report } from '../audit/report-build.ts';
import type { Suggestion } from '../audit/report-suggest.ts';
import { proposePolicy, type TierProposal } from '../policy/central/propose-policy.ts';
import { formatDuration } from '../util/duration.ts';
import { escapeControl } from '../util/text.ts';
import type { Context } from './context.ts';
import { reportInput, type ReportCommandOptions } from './report.ts';

/** Comment lines are wrapped to this width (the YAML stays readable in a review). */
const WIDTH = 96;

/** `text` in lines of at most WIDTH, the first starting with `first`, the others with `rest`. */
function wrap(text: string, first: string, rest: string): string[] {
  const lines: string[] = [];
  let line = first;
  for (const word of text.split(' ')) {
    if (line.trim() && line.length + word.length + 1 > WIDTH) {
      lines.push(line);
      line = rest + word;
    } else line = line.trim() ? `${line} ${word}` : line + word;
  }
  if (line.trim()) lines.push(line);
  return lines;
}

const CHANGES = new Set(['tighten', 'loosen', 'set_limit']);

/** A tier's evidence: the events, the people, the percentiles, and the report's own reasoning. */
function tierComment(report: Report, suggestion: Suggestion): string[] {
  const current = suggestion.current_idle_ms === null ? 'no idle limit' : `idle ${formatDuration(suggestion.current_idle_ms)}`;
  const changes = CHANGES.has(suggestion.status) && suggestion.suggested_idle_ms !== null;
  const headline = changes ? `${current} → ${formatDuration(suggestion.suggested_idle_ms!)} (${suggestion.status.replace('_', ' ')})` : `${current} kept (${suggestion.status.replace('_', ' ')})`;
  const gaps = report.idle_gaps.by_tier[suggestion.tier];
  const p = gaps?.percentiles_ms ?? {};
  const people = suggestion.people ? ` of ${suggestion.people.total} ${suggestion.people.total === 1 ? 'person' : 'people'}` : '';
  const unit = report.users !== undefined ? 'user-day' : 'working day';
  const lines = [
    `${suggestion.tier}: ${headline}`,
    `  evidence: ${suggestion.gaps} idle gaps${people} over ${suggestion.working_days} ${unit}${suggestion.working_days === 1 ? '' : 's'}, ${suggestion.sessions} sessions${suggestion.thin_data ? ' (thin data: a hint)' : ''}`,
  ];
  if (gaps && p.p50 !== undefined) {
    const within = suggestion.gaps_within_suggested_pct !== undefined && suggestion.suggested_idle_ms !== null ? `; ${formatDuration(suggestion.suggested_idle_ms)} covers ${suggestion.gaps_within_suggested_pct}% of them` : '';
    lines.push(`  idle gaps: p50 ${formatDuration(p.p50)}, p90 ${formatDuration(p.p90!)}, p95 ${formatDuration(p.p95!)}${within}`);
  }
  lines.push(...wrap(suggestion.explanation, '  ', '    '));
  return lines.map(escapeControl);
}

/** The policy in force as plain data, and what it is. */
function policyInForce(context: Context): { base?: Record<string, unknown>; label: string } {
  const copy = context.central?.cache?.copy;
  if (copy) return { base: copy.payload, label: `the central policy ${context.central!.source.url} in force (version ${new Date(copy.iat * 1000).toISOString()}, iat ${copy.iat})` };
  const missing = context.central ? `no copy of the central policy ${context.central.source.url} is cached; ` : '';
  for (const layer of context.config.layers) {
    if (layer.kind !== 'system' || layer.file === context.central?.source.label) continue;
    const parsed: unknown = parseYaml(readFileSync(layer.file, 'utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return { base: parsed as Record<string, unknown>, label: `${missing}the local system layer ${layer.file}` };
  }
  return { label: `${missing}no central policy and no system layer (a first policy)` };
}

export async function policyPropose(deps: Deps, options: ReportCommandOptions): Promise<number> {
  const input = await reportInput(deps, { ...options, by: undefined });
  const report = buildReport(input.log.events, input.options);
  const { base, label } = policyInForce(input.context);
  const team = report.users !== undefined;
  const w = report.window;
  const source = team
    ? `${report.log.events} audit events of ${report.users} ${report.users === 1 ? 'person' : 'people'} on ${report.hosts} host${report.hosts === 1 ? '' : 's'} (${report.log.files.join(', ')})`
    : `${report.log.events} audit events of this laptop`;
  const header = [
    `guard policy propose, ${report.generated_at}`,
    ...wrap(`From ${source}, ${w.days[0]} … ${w.days[w.days.length - 1]}: ${w.user_days} user-days; target at most ${report.target_prompts_per_working_day} idle re-logins per user-day.`, '', '  '),
    ...(report.suggestions.some((s) => s.status === 'loosen') ? ['A looser limit applies only where no other layer sets a stricter one (the strictest wins).'] : []),
  ].map(escapeControl);
  const tiers: TierProposal[] = report.suggestions.map((suggestion) => ({
    tier: suggestion.tier,
    ...(CHANGES.has(suggestion.status) && suggestion.suggested_idle_ms !== null ? { idle: suggestion.suggested_idle_ms } : {}),
    comment: tierComment(report, suggestion),
  }));
  deps.io.out(proposePolicy({ base, baseLabel: escapeControl(label), header, tiers }).text);
  return 0;
}
