/** `guard logout [--profile P] [--all]` and `guard lock`: revoke (RFC 7009, best effort), delete keychain entry and state. */
import { warn, type Deps } from '../deps.ts';
import type { Profile } from '../policy/types.ts';
import { loadSession } from '../session/current.ts';
import { endSession } from '../session/store.ts';
import { sessionFields } from '../session/state.ts';
import { forgetSubject } from '../session/last-subject.ts';
import { escapeControl } from '../util/text.ts';
import { loadContext, profileFor, type GlobalOptions } from './context.ts';

export interface LogoutOptions extends GlobalOptions {
  all?: boolean;
}

export async function logout(deps: Deps, options: LogoutOptions, reason: 'logout' | 'lock' = 'logout'): Promise<number> {
  const { config } = await loadContext(deps, options);
  const profiles: Profile[] = options.all
    ? [...config.profiles.values()]
    : [profileFor(deps, config, options)];
  for (const profile of profiles) {
    const state = loadSession(deps, profile);
    const warnings = await endSession(deps, profile, { revoke: true });
    // Only a logout lets the next `guard login` be someone else (SPEC §13); a lock keeps the person.
    if (reason === 'logout') forgetSubject(deps.paths.stateDir, profile.name);
    for (const w of warnings) warn(deps, w);
    if (state) deps.audit('logout', { profile: profile.name, reason, ...sessionFields(state) });
    if (!deps.quiet) deps.io.err(`guard: ${state ? (reason === 'lock' ? 'locked' : 'signed out of') : 'no session for'} profile ${escapeControl(profile.name)}\n`);
  }
  return 0;
}
