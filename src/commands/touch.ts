/** `guard touch`: mark activity now, like `sudo -v`; needs a live session. */
import type { Deps } from '../deps.ts';
import { GuardError } from '../errors.ts';
import { strictest } from '../policy/merge.ts';
import { decide } from '../session/decide.ts';
import { loadSession } from '../session/current.ts';
import { loginHint, reapIfDead } from '../session/ensure.ts';
import { withIdpLimits } from '../session/idp-limits.ts';
import { touchActivity } from '../session/state.ts';
import { currentTerminal } from '../session/terminal.ts';
import { touchLiveTicket } from '../session/bound.ts';
import { loadContext, loosestLimits, profileFor, type GlobalOptions } from './context.ts';

export async function touch(deps: Deps, options: GlobalOptions): Promise<number> {
  const { config } = await loadContext(deps, options);
  const profile = profileFor(deps, config, options);
  const state = await reapIfDead(deps, profile, loadSession(deps, profile), loosestLimits(config));
  const defaults = strictest(config.default_tiers.map((name) => config.tiers.get(name)!).filter(Boolean));
  const decision = decide(withIdpLimits({ idle: defaults.idle, max_session: defaults.max_session }, state?.idp_limits), state, deps.now());
  if (!state || decision.action === 'login') {
    throw new GuardError('auth', `no live session for profile "${profile.name}"${decision.action === 'login' ? ` (${decision.message})` : ''}; ${loginHint(profile)}`);
  }
  touchActivity(deps.paths.stateDir, profile.name, state.session_id, deps.now());
  // Like `sudo -v` with per-tty tickets: this terminal's ticket is active too, if it is still good (SPEC §10).
  const bound = [...config.tiers.values()].filter((tier) => tier.bind === 'terminal');
  const here = bound.length > 0 ? currentTerminal() : undefined;
  if (here) touchLiveTicket(deps.paths.stateDir, profile, here, strictest(bound), state, deps.now());
  return 0;
}
