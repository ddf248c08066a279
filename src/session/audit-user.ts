/**
 * The `user` of an audit line that no live session hands over (SPEC §16): a
 * refusal before any sign-in, a failed login, an approval request, a policy
 * or trust event. Read from the state folder, off the hot path (a session's
 * own lines carry their `user` from its state, see sessionFields).
 */
import { rememberedProfiles, rememberedUser } from './last-subject.ts';
import { auditUser, readState } from './state.ts';

/**
 * The profile's session person, else the person it last signed in as; with
 * no profile, the one person this state folder remembers (null when it
 * remembers none, or several).
 */
export function auditUserOf(stateDir: string, profile: string | undefined): string | null {
  if (profile !== undefined) {
    const state = readState(stateDir, profile).state;
    return state ? auditUser(state) : (rememberedUser(stateDir, profile) ?? null);
  }
  const people = new Set(rememberedProfiles(stateDir).map((name) => rememberedUser(stateDir, name)).filter((user) => user !== undefined));
  return people.size === 1 ? [...people][0]! : null;
}
