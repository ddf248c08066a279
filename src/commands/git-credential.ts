/**
 * `guard git-credential get|store|erase`: a git credential helper (SPEC §9).
 * `get` answers with the profile's access token after `run`'s decision for
 * `git-credential PROTOCOL://HOST[/PATH]`; every refusal answers `quit=1`, so
 * git asks no other helper (SPEC §14). `store` and `erase` store nothing
 * (the token lives in the keychain, under guard's rules).
 *
 * @see https://git-scm.com/docs/gitcredentials#_custom_helpers
 */
import type { Deps } from '../deps.ts';
import { GuardError } from '../errors.ts';
import { credentialTarget, formatCredential, GIT_ACTIONS, parseCredentialRequest, readCredentialInput, type GitAction } from '../integrations/git/credential-protocol.ts';
import { credentialExpiresAt } from '../integrations/credential-expiry.ts';
import { answerCaller, type CallerOptions } from './credential-caller.ts';

export async function gitCredential(deps: Deps, action: string | undefined, options: CallerOptions, readInput: () => string = readCredentialInput): Promise<number> {
  if (!(GIT_ACTIONS as readonly (string | undefined)[]).includes(action)) {
    throw new GuardError('usage', `guard git-credential needs one of ${GIT_ACTIONS.join(', ')} (git passes it); see guard git-credential --help`);
  }
  if ((action as GitAction) !== 'get') {
    readInput(); // read to the end, so git's write never meets a closed pipe; nothing is stored
    return 0;
  }
  try {
    // Inside: a request guard cannot read is a refusal too, and gets quit=1.
    const target = credentialTarget(parseCredentialRequest(readInput()));
    const answer = await answerCaller(deps, options, {
      caller: 'git-credential',
      targetNoun: 'host',
      runBy: 'git',
      server: target.url,
      serverPathOpen: !target.pathKnown,
      need: () => ({ inlineHint: ' (guard git-credential signs in only when git runs at a terminal)' }),
      answer: (call) => {
        const expires = call.tokens.expires_at ?? call.state.access_expires_at ?? call.at;
        return formatCredential(call.resolution.profile.git_username ?? 'oauth2', call.tokens.access_token, credentialExpiresAt(expires, call.limits, call.state, call.at));
      },
    });
    deps.io.out(answer);
    return 0;
  } catch (error) {
    // A refusal ends the credential question (SPEC §14): git asks no other helper, whose `store`
    // may hold an older token of guard's. The `guard: …` line still says why.
    deps.io.out('quit=1\n');
    throw error;
  }
}
