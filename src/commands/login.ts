/** `guard login [--profile P] [--step-up] [--no-browser]`: always a device flow, with or without a TTY (SPEC §3). */
import type { Deps } from '../deps.ts';
import { deviceSignIn, loadSession } from '../session/ensure.ts';
import { anyTierUsesReauth, loadContext, profileFor, type GlobalOptions } from './context.ts';

export interface LoginOptions extends GlobalOptions {
  stepUp?: boolean;
  browser?: boolean;
}

export async function login(deps: Deps, options: LoginOptions): Promise<number> {
  const { config } = await loadContext(deps, options);
  const profile = profileFor(deps, config, options);
  const previous = loadSession(deps, profile);
  const { state } = await deviceSignIn(
    deps,
    { profile, limits: {}, tier: '', rules: [], command: 'login', requireAuthTime: anyTierUsesReauth(config), claims: config.claims, noBrowser: options.browser === false },
    { cause: options.stepUp ? { reason: 'requested', message: 'step-up requested' } : undefined, reauth: options.stepUp === true, stepUp: options.stepUp === true, previous },
  );
  if (options.json) deps.io.out(`${JSON.stringify({ profile: profile.name, subject: state.subject, session_id: state.session_id })}\n`);
  else if (!deps.quiet) deps.io.err(`guard: signed in as ${state.subject} (profile ${profile.name})\n`);
  return 0;
}
