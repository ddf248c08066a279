/**
 * Threshold suggestions (the third principle: watch how sessions are used,
 * then adjust). For a tier, a candidate idle limit L would have caused one
 * re-login for every idle gap longer than L. The suggestion is the shortest
 * L whose re-logins per working day stay within the target — never longer
 * than the tier's configured idle, which the merged configuration already
 * holds as the strictest of every layer, so guard never advises past policy.
 *
 * Across a team (`guard report --team`, SPEC §16) the reader is the policy
 * owner: the rate is per user-day, the suggestion may loosen the limit,
 * and it says how many people it changes things for. Pure.
 */
import { formatDuration } from '../util/duration.ts';
import { peopleCount, round2 } from './report-stats.ts';

const MINUTE = 60_000;
/** Candidate limits: the values people write in config. The configured limit is always a candidate too. */
export const IDLE_GRID = [1, 2, 3, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 1440].map((m) => m * MINUTE);

export interface SuggestInput {
  tier: string;
  /** Idle gaps ending in this tier (ms). */
  gaps: readonly number[];
  /** Distinct sessions with commands in this tier. */
  sessions: number;
  workingDays: number;
  /** The merged (strictest) configured idle; undefined when no layer sets one. */
  currentIdle?: number;
  /** The file that sets that strictest value, for the explanation. */
  boundBy?: string;
  target: number;
  minSessions: number;
  minDays: number;
  /** A team's report: each person's gaps in this tier (every person with commands in it, gaps or not). */
  team?: { gapsByPerson: ReadonlyMap<string, readonly number[]> };
}

export type SuggestionStatus = 'tighten' | 'loosen' | 'keep' | 'over_target' | 'set_limit' | 'no_data';

/** Across a team: who a suggestion changes things for. */
export interface PeopleAffected {
  /** People with commands in the tier. */
  total: number;
  /** …who would have had fewer idle re-logins at the suggested limit than at the current one, */
  fewer: number;
  /** …and more. */
  more: number;
}

export interface Suggestion {
  tier: string;
  status: SuggestionStatus;
  current_idle_ms: number | null;
  suggested_idle_ms: number | null;
  bound_by: string | null;
  /** Idle re-logins per working day at the suggested limit / at the current one. */
  predicted_prompts_per_working_day: number | null;
  current_prompts_per_working_day: number | null;
  gaps: number;
  gaps_over_suggested: number | null;
  sessions: number;
  working_days: number;
  thin_data: boolean;
  /** Team reports only. */
  people?: PeopleAffected;
  /** Team reports only: the share of idle gaps at or under the suggested limit (a percentile rank), %. */
  gaps_within_suggested_pct?: number;
  explanation: string;
}

/** Gaps longer than `limit`: each would have needed a re-login (decide: idle > limit). */
export function promptsAt(gaps: readonly number[], limit: number): number {
  return gaps.reduce((n, gap) => (gap > limit ? n + 1 : n), 0);
}

/** Who `limit` changes things for, against `current` (no current limit: nobody re-logs in for idleness now). */
export function peopleAffected(gapsByPerson: ReadonlyMap<string, readonly number[]>, limit: number, current: number | undefined): PeopleAffected {
  let fewer = 0;
  let more = 0;
  for (const gaps of gapsByPerson.values()) {
    const now = current === undefined ? 0 : promptsAt(gaps, current);
    const then = promptsAt(gaps, limit);
    if (then < now) fewer++;
    else if (then > now) more++;
  }
  return { total: gapsByPerson.size, fewer, more };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "fewer idle re-logins for 9 of 12 people, more for none". */
function peopleText(affected: PeopleAffected): string {
  const of = (n: number) => (n === 0 ? 'none' : `${n} of ${peopleCount(affected.total)}`);
  return `fewer idle re-logins for ${of(affected.fewer)}, more for ${of(affected.more)}`;
}

/** What every suggestion starts from: the rate at a limit, the common fields, the thin-data note, or no data at all. */
function frame(input: SuggestInput, unit: 'working day' | 'user-day') {
  const { gaps, workingDays: days } = input;
  const perDay = (limit: number) => round2(promptsAt(gaps, limit) / days);
  const thin = input.sessions < input.minSessions || days < input.minDays;
  const base = {
    tier: input.tier,
    current_idle_ms: input.currentIdle ?? null,
    bound_by: input.boundBy ?? null,
    gaps: gaps.length,
    sessions: input.sessions,
    working_days: days,
    thin_data: thin,
  };
  const wanted = unit === 'user-day' ? 'user-days' : 'days';
  const thinNote = thin ? ` Thin data (${plural(input.sessions, 'session')} over ${plural(days, unit)}; ${input.minSessions} sessions and ${input.minDays} ${wanted} wanted): treat it as a hint.` : '';
  const noData: Suggestion | undefined =
    gaps.length === 0 || days === 0
      ? {
          ...base, status: 'no_data', suggested_idle_ms: null, predicted_prompts_per_working_day: null,
          current_prompts_per_working_day: null, gaps_over_suggested: null, thin_data: true,
          explanation: `No idle gaps were recorded for tier ${input.tier} in this period, so there is nothing to tune yet.`,
        }
      : undefined;
  const suggest = (status: SuggestionStatus, chosen: number, explanation: string): Suggestion => ({
    ...base,
    status,
    suggested_idle_ms: chosen,
    predicted_prompts_per_working_day: perDay(chosen),
    current_prompts_per_working_day: input.currentIdle === undefined ? null : perDay(input.currentIdle),
    gaps_over_suggested: promptsAt(gaps, chosen),
    explanation: explanation + thinNote,
  });
  return { perDay, noData, suggest };
}

export function suggestIdle(input: SuggestInput): Suggestion {
  if (input.team) return suggestForTeam(input, input.team.gapsByPerson);
  const { gaps, workingDays, currentIdle, target } = input;
  const { perDay, noData, suggest } = frame(input, 'working day');
  if (noData) return noData;
  const candidates = [...new Set([...IDLE_GRID.filter((l) => currentIdle === undefined || l < currentIdle), ...(currentIdle === undefined ? [] : [currentIdle])])].sort((a, b) => a - b);
  const fits = candidates.find((limit) => perDay(limit) <= target);
  const chosen = fits ?? currentIdle ?? candidates[candidates.length - 1]!;
  const over = promptsAt(gaps, chosen);
  const relogins = (n: number) => `${n} re-login${n === 1 ? '' : 's'} a day`;
  const numbers = `${over} of ${gaps.length} idle gaps exceed ${formatDuration(chosen)} over ${workingDays} working day${workingDays === 1 ? '' : 's'} (${relogins(perDay(chosen))})`;
  const policy = input.boundBy ? ` (set by ${input.boundBy})` : '';
  let status: SuggestionStatus;
  let explanation: string;
  if (fits === undefined && currentIdle === undefined) {
    status = 'over_target';
    explanation = `No idle limit is set for tier ${input.tier}, and even ${formatDuration(chosen)} would cost more than ${target} re-logins per working day: ${numbers}.`;
  } else if (currentIdle === undefined) {
    status = 'set_limit';
    explanation = `No idle limit is set for tier ${input.tier}; ${formatDuration(chosen)} is the shortest that keeps re-logins within ${target} per working day: ${numbers}.`;
  } else if (fits === undefined) {
    status = 'over_target';
    explanation = `Even the current ${formatDuration(currentIdle)}, the longest the policy allows${policy}, costs more than ${target} re-logins per working day: ${numbers}; guard will not suggest a looser limit — run guard touch before planned pauses, or take the numbers to the policy owners.`;
  } else if (chosen < currentIdle) {
    status = 'tighten';
    explanation = `${formatDuration(chosen)} is the shortest idle limit that keeps re-logins within ${target} per working day: ${numbers}, against ${perDay(currentIdle)} a day at the current ${formatDuration(currentIdle)}.`;
  } else {
    status = 'keep';
    const shorter = candidates.filter((limit) => limit < currentIdle).pop();
    const next = shorter === undefined ? 'guard considers nothing shorter' : `${formatDuration(shorter)} would mean ${relogins(perDay(shorter))}, over the target of ${target}`;
    explanation = `Keep ${formatDuration(currentIdle)}: ${numbers}, and ${next}.`;
  }
  return suggest(status, chosen, explanation);
}

/**
 * The team's suggestion: the shortest grid limit (or the current one) whose
 * idle re-logins per user-day stay within the target, looser than the
 * current limit if need be — the policy owner decides. `workingDays` is
 * the number of user-days.
 */
function suggestForTeam(input: SuggestInput, gapsByPerson: ReadonlyMap<string, readonly number[]>): Suggestion {
  const { gaps, workingDays: userDays, currentIdle, target } = input;
  const { perDay, noData, suggest } = frame(input, 'user-day');
  if (noData) return { ...noData, people: { total: gapsByPerson.size, fewer: 0, more: 0 } };
  const candidates = [...new Set([...IDLE_GRID, ...(currentIdle === undefined ? [] : [currentIdle])])].sort((a, b) => a - b);
  const fits = candidates.find((limit) => perDay(limit) <= target);
  const chosen = fits ?? currentIdle ?? candidates[candidates.length - 1]!;
  const affected = peopleAffected(gapsByPerson, chosen, currentIdle);
  const over = promptsAt(gaps, chosen);
  const within = round2((100 * (gaps.length - over)) / gaps.length);
  const numbers = `${over} of ${gaps.length} idle gaps of ${peopleCount(gapsByPerson.size)} exceed ${formatDuration(chosen)} over ${plural(userDays, 'user-day')} (${plural(perDay(chosen), 're-login')} per user-day)`;
  const unchanged = 'max_session and reauth_within (step-up) stay as they are';
  let status: SuggestionStatus;
  let explanation: string;
  if (fits === undefined) {
    status = 'over_target';
    explanation = `Even ${formatDuration(chosen)} costs more than ${target} idle re-logins per user-day in tier ${input.tier}: ${numbers}; a longer idle limit is not the fix — look at how the tier's commands are spread over the day.`;
  } else if (currentIdle === undefined) {
    status = 'set_limit';
    explanation = `No idle limit is set for tier ${input.tier}; ${formatDuration(chosen)} is the shortest that keeps re-logins within ${target} per user-day: ${numbers}; ${peopleText(affected)}; ${unchanged}.`;
  } else if (chosen === currentIdle) {
    status = 'keep';
    const shorter = candidates.filter((limit) => limit < currentIdle).pop();
    const next = shorter === undefined ? 'guard considers nothing shorter' : `${formatDuration(shorter)} would mean ${perDay(shorter)} per user-day, over the target of ${target}`;
    explanation = `Keep idle ${formatDuration(currentIdle)}: ${numbers}, and ${next}.`;
  } else {
    status = chosen < currentIdle ? 'tighten' : 'loosen';
    explanation = `idle ${formatDuration(currentIdle)} → ${formatDuration(chosen)} would take idle re-logins from ${perDay(currentIdle)} to ${perDay(chosen)} per user-day (target ${target}): ${numbers}; ${peopleText(affected)}; ${unchanged}.`;
  }
  return { ...suggest(status, chosen, explanation), people: affected, gaps_within_suggested_pct: within };
}
