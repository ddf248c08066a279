/**
 * `confirm: true` (SPEC §14, "Prompts cannot be outwaited"). The question
 * is asked on the controlling terminal, even when stdin is a pipe; it times
 * out after 60 s at most, or as soon as a limit of the tier fires (no
 * answer is a no); and an answer is a decision in the past: after a "yes"
 * the session is decided again with the clock as it is then, so a "yes"
 * given after a limit fired starts a sign-in (or refuses), never the
 * command. Where no terminal can answer, guard refuses before any sign-in.
 */
import type { Deps } from '../deps.ts';
import { GuardError } from '../errors.ts';
import type { Resolution } from '../policy/resolve.ts';
import { nextLimit } from '../session/bound.ts';
import type { ActiveSession } from '../session/ensure.ts';
import { formatDuration } from '../util/duration.ts';
import { hasControllingTerminal } from '../util/controlling-tty.ts';
import { escapeControl } from '../util/text.ts';
import { resolutionFields } from './context.ts';

/** The longest a confirmation waits for its answer (sudo times its prompt out too). */
export const CONFIRM_TIMEOUT = 60_000;

export interface ConfirmSettings {
  /** The question, without the (y/N). */
  question: string;
  /** What to do instead when no terminal can answer (`to confirm in a script: guard run --yes -- psql …`). */
  instead: string;
  /** --prompt (true) / --no-prompt (false) for this question; undefined: ask unless CI is set. */
  prompt?: boolean;
}


/** Why no terminal can answer (--no-prompt, CI, no controlling terminal), or undefined when one can. */
function nobodyToAsk(deps: Deps, prompt: boolean | undefined): string | undefined {
  if (prompt === false) return '--no-prompt';
  if (prompt === undefined && deps.env.CI) return 'CI is set';
  return hasControllingTerminal() ? undefined : 'no controlling terminal';
}

/** Refuses (77) when no terminal can answer: called before any sign-in starts, so nobody signs in for a command that cannot run. */
export function assertCanConfirm(deps: Deps, resolution: Resolution, settings: ConfirmSettings): void {
  const why = nobodyToAsk(deps, settings.prompt);
  if (!why) return;
  deps.audit('denied', { ...resolutionFields(resolution), reason: 'confirm_needed' });
  throw new GuardError('auth', `"${escapeControl(resolution.label)}" (tier ${resolution.tier}) needs a confirmation and no terminal can answer (${why}); ${settings.instead}`);
}

/**
 * Asks, then decides again (`decideAgain`: the session check with the
 * clock as it is after the answer). A "no" exits 130, no answer in time 77;
 * each is a `denied` audit line and the command does not run.
 */
export async function confirmThenDecideAgain(
  deps: Deps,
  resolution: Resolution,
  settings: ConfirmSettings,
  session: ActiveSession,
  decideAgain: () => Promise<ActiveSession>,
): Promise<ActiveSession> {
  const limit = nextLimit(deps, resolution.profile, resolution.limits, session);
  const byLimit = limit !== undefined && limit.in < CONFIRM_TIMEOUT;
  const timeout = byLimit ? Math.max(0, limit.in) : CONFIRM_TIMEOUT;
  const { askConfirm } = await import('../ui/prompt.ts');
  const answer = await askConfirm(settings.question, timeout);
  const label = escapeControl(resolution.label);
  if (answer === 'no') {
    deps.audit('denied', { ...resolutionFields(resolution), reason: 'confirm_declined' });
    throw new GuardError('cancelled', `not confirmed: "${label}" was not run`);
  }
  if (answer === 'timeout') {
    deps.audit('denied', { ...resolutionFields(resolution), reason: 'confirm_timeout' });
    const when = byLimit ? ` (when the ${limit.clock} limit of tier ${resolution.tier} fires)` : '';
    throw new GuardError('auth', `no answer within ${formatDuration(timeout)}${when}: "${label}" was not run`);
  }
  return decideAgain();
}
