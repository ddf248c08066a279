/** `guard login [--profile P] [--step-up] [--no-browser]`: always a device flow, with or without a TTY (SPEC §3). */
import type { Deps } from '../deps.ts';
import { toJsonText } from '../util/text.ts';
import { loadSession } from '../session/current.ts';
import { deviceSignIn, reapIfDead } from '../session/ensure.ts';
import { anyTierUsesReauth, loadContext, loosestLimits, profileFor, type GlobalOptions } from './context.ts';
import { escapeControl } from '../util/text.ts';

export interface LoginOptions extends GlobalOptions {
  stepUp?: boolean;
  browser?: boolean;
}

export async function login(deps: Deps, options: LoginOptions): Promise<number> {
  const { config } = await loadContext(deps, options);
  const profile = profileFor(deps, config, options);
  // A dead previous session is ended (and its refresh token revoked) before a new one replaces it.
  const previous = await reapIfDead(deps, profile, loadSession(deps, profile), loosestLimits(config));
  const { state } = await deviceSignIn(
    deps,
    { profile, limits: {}, tier: '', rules: [], command: 'login', requireAuthTime: anyTierUsesReauth(config), claims: config.claims, noBrowser: options.browser === false },
    { cause: options.stepUp ? { reason: 'requested', message: 'step-up requested' } : undefined, reauth: options.stepUp === true, stepUp: options.stepUp === true, previous },
  );
  if (options.json) deps.io.out(`${toJsonText({ profile: profile.name, subject: state.subject, display_name: state.display_name ?? null, session_id: state.session_id }, 0)}\n`);
  else if (!deps.quiet) deps.io.err(`guard: signed in as ${escapeControl(state.display_name ?? state.subject)} (profile ${escapeControl(profile.name)})\n`);
  return 0;
}
