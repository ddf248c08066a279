/** What every way of signing in shares (device flow, CIBA approval, narrowing): the next-step hint, why a step-up, and the step-up skew. */
import type { Profile } from '../policy/types.ts';
import { formatDuration } from '../util/duration.ts';
import { shellLine } from '../util/shell-quote.ts';
import type { Decision } from './decide.ts';

/** How much older than the flow's start a step-up's auth_time may be (IdP clock skew, 1 s resolution). */
export const STEP_UP_SKEW = 5_000;

/** The next step to print: `run: guard login [--profile P] [--step-up]`. */
export function loginHint(profile: Pick<Profile, 'name'>, stepUp = false): string {
  return `run: ${shellLine(['guard', 'login', ...(profile.name === 'default' ? [] : ['--profile', profile.name]), ...(stepUp ? ['--step-up'] : [])])}`;
}

/**
 * Why a step-up, with the tier, the rules that put the command there and
 * the numbers: "tier privileged (rule prod-kube) needs a sign-in in the
 * last 10m; yours was 1h19m ago".
 */
export function stepUpWhy(command: { tier: string; rules: readonly string[] }, decision: Extract<Decision, { action: 'step_up' }>): string {
  const rules = command.rules.length === 0 ? '' : ` (rule${command.rules.length > 1 ? 's' : ''} ${command.rules.join(', ')})`;
  const tier = `tier ${command.tier}${rules}`;
  if (decision.within === undefined || decision.since === undefined) return `${tier}: ${decision.message}`;
  return `${tier} needs a sign-in in the last ${formatDuration(decision.within)}; yours was ${formatDuration(decision.since)} ago`;
}
