/**
 * `guard report [--since 30d] [--tier T] [--target N] [--format text|json|csv]
 * [--team PATH… [--by user|host]]`: what the audit log says about how
 * sessions are used, and idle limits that would keep re-login prompts under
 * a target without going past policy — for this laptop, or across a team
 * from the collector's files (SPEC §16).
 * Also hosts the hidden `--drain-spool`, the background sender of the audit
 * sinks (OTLP, syslog) that guard starts itself (see src/audit/spool.ts).
 */
import { warn, type Deps } from '../deps.ts';
import { toJsonText } from '../util/text.ts';
import { GuardError, isGuardError } from '../errors.ts';
import { buildReport, type ReportOptions, type TierLimit } from '../audit/report-build.ts';
import type { ByWhat } from '../audit/report-people.ts';
import type { AuditEvent } from '../audit/event.ts';
import { readAuditLog, type AuditLogContent } from '../audit/read.ts';
import { renderCsv, renderText } from '../audit/report-render.ts';
import { TARGET_ENV, type SinkTargets } from '../audit/spool.ts';
import type { Config } from '../policy/types.ts';
import { createStyle } from '../ui/style.ts';
import { parseDuration } from '../util/duration.ts';
import { loadContext, type Context, type GlobalOptions } from './context.ts';
import { httpTimeout } from '../util/http-timeout.ts';

export interface ReportCommandOptions extends GlobalOptions {
  since?: string;
  tier?: string;
  target?: string;
  format?: string;
  /** Files and folders of a team's audit events (SPEC §16). */
  team?: string[];
  by?: string;
  drainSpool?: boolean;
}

/** Fewer sessions or working days than these and a suggestion is flagged as thin data. */
export const MIN_SESSIONS = 5;
export const MIN_DAYS = 5;
const FORMATS = ['text', 'json', 'csv'] as const;

/** Calendar days in local time (TZ decides), as `YYYY-MM-DD`. */
export function localDay(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Each tier's merged idle limit, and the first layer that sets that (strictest) value. */
export function tierLimits(config: Config): TierLimit[] {
  return [...config.tiers.values()].map((tier) => {
    const layer = tier.idle === undefined ? undefined : config.layers.find((l) => l.tiers.some((t) => t.name === tier.name && t.idle === tier.idle));
    return { name: tier.name, idle: tier.idle, boundBy: layer?.file };
  });
}

function readLog(deps: Deps): AuditLogContent {
  try {
    return readAuditLog(deps.paths.stateDir);
  } catch (error) {
    if (isGuardError(error)) throw error; // already one clear line (a symlinked or foreign log)
    throw new GuardError('io', `cannot read the audit log in ${deps.paths.stateDir} (${(error as NodeJS.ErrnoException).code ?? error}); check its permissions`);
  }
}

export interface ReportInput {
  context: Context;
  log: AuditLogContent & { duplicates?: number };
  options: ReportOptions;
}

/** The checked options, the configuration and the events a report (or a policy proposal) is built from. */
export async function reportInput(deps: Deps, options: ReportCommandOptions): Promise<ReportInput> {
  const sinceMs = parseDuration(options.since ?? '30d');
  if (sinceMs === undefined) throw new GuardError('usage', `--since wants a duration such as 30d, 12h or 90m, not "${options.since}"`);
  const target = Number(options.target ?? 3);
  if (!Number.isFinite(target) || target < 0) throw new GuardError('usage', `--target wants a number of prompts per working day, such as 3, not "${options.target}"`);
  const team = options.team?.length ? options.team : undefined;
  if (options.by && !team) throw new GuardError('usage', '--by names people in a team report: use it with --team PATH…');
  if (options.by && options.by !== 'user' && options.by !== 'host') throw new GuardError('usage', `--by wants user or host, not "${options.by}"`);

  const context = await loadContext(deps, options);
  const { config } = context;
  const now = deps.now();
  const log: ReportInput['log'] = team ? await readTeam(deps, team, now - sinceMs - TEAM_LOOKBACK) : readLog(deps);
  if (options.tier && !config.tiers.has(options.tier) && !log.events.some((e) => e.tier === options.tier)) {
    throw new GuardError('usage', `no tier "${options.tier}" in the configuration or the audit log; tiers: ${[...config.tiers.keys()].join(', ')}`);
  }
  return {
    context,
    log,
    options: {
      now,
      sinceMs,
      target,
      minSessions: MIN_SESSIONS,
      minDays: MIN_DAYS,
      tier: options.tier,
      profile: options.profile,
      dayKey: localDay,
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'local time',
      tiers: team ? [...tierLimits(config), ...unconfiguredTiers(config, log.events)] : tierLimits(config),
      log: { files: log.files, skipped: log.skipped, ...(log.duplicates !== undefined ? { duplicates: log.duplicates } : {}) },
      ...(team ? { team: options.by ? { by: options.by as ByWhat } : {} } : {}),
    },
  };
}

/** Tiers a team's events name that this configuration does not define (a collector host without the policy): no limit known. */
function unconfiguredTiers(config: Config, events: readonly AuditEvent[]): TierLimit[] {
  const names = new Set(events.map((event) => event.tier).filter((tier): tier is string => typeof tier === 'string' && tier !== '' && !config.tiers.has(tier)));
  return [...names].sort().map((name) => ({ name }));
}

/**
 * A team's events, read before the window by this much too: an idle gap that
 * ends in the window may have begun before it, and one longer than a day
 * costs a re-login at any limit guard suggests (the grid stops at 1d).
 */
const TEAM_LOOKBACK = 86_400_000;

async function readTeam(deps: Deps, paths: string[], notBefore: number): Promise<AuditLogContent & { duplicates: number }> {
  const { readTeamLogs } = await import('../audit/read-team.ts');
  const team = await readTeamLogs(paths, notBefore);
  for (const note of team.notes) warn(deps, `note: ${note}`);
  // The paths as named, not the files found in them: a collector names its files after hosts.
  return { events: team.events, skipped: team.skipped, files: paths, duplicates: team.duplicates };
}

export async function report(deps: Deps, options: ReportCommandOptions): Promise<number> {
  if (options.drainSpool) return drainAuditSpool(deps, options);
  const format = options.json ? 'json' : (options.format ?? 'text');
  if (!(FORMATS as readonly string[]).includes(format)) throw new GuardError('usage', `unknown report format "${format}"; use --format text, json or csv`);
  const input = await reportInput(deps, options);
  const { log } = input;
  const result = buildReport(log.events, input.options);
  if (format === 'json') deps.io.out(`${toJsonText(result)}\n`);
  else if (format === 'csv') deps.io.out(renderCsv(result));
  else deps.io.out(renderText(result, createStyle(deps.io.color && deps.io.stdoutIsTTY), deps.io.columns));
  if (format !== 'text' && log.skipped > 0) warn(deps, `note: skipped ${log.skipped} ${options.team?.length ? 'unusable' : 'corrupt'} line${log.skipped === 1 ? '' : 's'} in ${options.team?.length ? 'the files read' : 'the audit log'}`);
  return 0;
}


/** The background sender: sends each sink's spool, then exits. Run by guard itself, detached, with no stdio. */
async function drainAuditSpool(deps: Deps, options: ReportCommandOptions): Promise<number> {
  let targets: SinkTargets = { otlp: deps.env[TARGET_ENV.otlp] || undefined, syslog: deps.env[TARGET_ENV.syslog] || undefined };
  if (!targets.otlp && !targets.syslog) {
    const { audit } = (await loadContext(deps, options)).config;
    targets = { otlp: audit.otlp, syslog: audit.syslog };
  }
  if (!targets.otlp && !targets.syslog) throw new GuardError('config', 'no audit sink is configured; set audit.ship.otlp or audit.syslog in the configuration');
  const { drainSpool } = await import('../audit/drain.ts');
  const { createSinks } = await import('../audit/sinks.ts');
  const sinks = createSinks(targets, httpTimeout(deps.env) * 1000);
  const result = await drainSpool(deps.paths.stateDir, sinks);
  const failed = sinks.find((sink) => result.sinks[sink.name]?.problem);
  if (failed) throw new GuardError('unavailable', `${result.sinks[failed.name]!.problem}; the events stay spooled and are sent on a later run`);
  if (!deps.quiet) {
    const sent = sinks.map((sink) => `${result.sinks[sink.name]?.sent ?? 0} to ${sink.label}`).join(', ');
    deps.io.err(`guard: sent audit events: ${sent}${result.busy ? ' (another guard is sending the rest)' : ''}\n`);
  }
  return 0;
}
