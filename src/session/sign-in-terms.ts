/** What every way of signing in shares (device flow, CIBA approval, narrowing): the next-step hint and the step-up skew. */
import type { Profile } from '../policy/types.ts';
import { shellLine } from '../util/shell-quote.ts';

/** How much older than the flow's start a step-up's auth_time may be (IdP clock skew, 1 s resolution). */
export const STEP_UP_SKEW = 5_000;

/** The next step to print: `run: guard login [--profile P] [--step-up]`. */
export function loginHint(profile: Pick<Profile, 'name'>, stepUp = false): string {
  return `run: ${shellLine(['guard', 'login', ...(profile.name === 'default' ? [] : ['--profile', profile.name]), ...(stepUp ? ['--step-up'] : [])])}`;
}
