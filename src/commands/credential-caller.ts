/**
 * The decision for a tool that asks guard for a credential instead of being
 * run by it (SPEC §9: kube-credential, git-credential): `run`'s decision for
 * the words `CALLER SERVER`, an allowed call counted as activity, and one
 * `allowed` audit line naming the caller and the server.
 */
import type { Deps } from '../deps.ts';
import type { TokenSet } from '../keychain/keychain.ts';
import { resolveInvocation, type Resolution } from '../policy/resolve.ts';
import { normalizeUrl } from '../util/normalize-url.ts';
import type { Profile, Rule } from '../policy/types.ts';
import { readImpliedWords } from '../policy/implied/read-implied.ts';
import type { ImpliedWord } from '../policy/implied/implied-words.ts';
import type { SessionNeed } from '../session/ensure.ts';
import { withIdpLimits } from '../session/idp-limits.ts';
import { touchActivity, type SessionState } from '../session/state.ts';
import { loadContext, type GlobalOptions } from './context.ts';
import { authorize } from './run.ts';

export interface CallerOptions extends GlobalOptions {
  tier?: string;
}

export interface CallerRequest {
  /** `kube-credential` or `git-credential`: the first word rules match and the audit log's command. */
  caller: string;
  /** Where the credential goes (cluster server, git URL), when the tool says. */
  server?: string;
  /** The implied flag the server also is (SPEC §14: kube-credential's `--server=`), and where it came from. */
  serverFlag?: { name: string; source: string };
  /** Read the caller's other implied words too (kube-credential: the kubeconfig's contexts and clusters on that server). */
  resolveTarget?: boolean;
  /** May a device flow start inline? undefined: SPEC §3's TTY rule; false: never. */
  prompt?: boolean;
  /** Session needs that depend on the profile (which token is handed out). */
  need?: (profile: Profile) => Pick<SessionNeed, 'needsIdToken' | 'inlineHint'>;
  /** The answer for the tool (its stdout); throwing here means nothing was handed out: no activity, no `allowed` line. */
  answer: (call: AllowedCall) => string | Promise<string>;
}

export interface AllowedCall {
  resolution: Resolution;
  state: SessionState;
  tokens: TokenSet;
  /** The effective limits with the user's IdP-driven limits, for the credential's expiry. */
  limits: Resolution['limits'];
  /** When the call was allowed (ms): the new last activity. */
  at: number;
}

/** The caller's implied words: its server (from where the tool said it), and with resolveTarget what the resolver adds. */
async function callerImplied(deps: Deps, rules: readonly Rule[], request: CallerRequest, words: string[], server: string | undefined): Promise<ImpliedWord[]> {
  const flag = request.serverFlag;
  const serverWord = server !== undefined && flag ? [{ name: flag.name, value: server, source: flag.source, caseless: true }] : [];
  if (!request.resolveTarget) return serverWord;
  const found = await readImpliedWords(deps, rules, words);
  return [...serverWord, ...found.filter((word) => !(word.name === flag?.name && word.value !== undefined))];
}

/** Decides, builds the tool's answer, and only then counts the call as activity and logs it. Returns the answer. */
export async function answerCaller(deps: Deps, options: CallerOptions, request: CallerRequest): Promise<string> {
  const { config } = await loadContext(deps, options, { deferPolicyWarning: true });
  // The target in the one form rules are written against (SPEC §14): `HTTPS://Prod.example.com:443/` is `https://prod.example.com`.
  const server = request.server === undefined ? undefined : (normalizeUrl(request.server) ?? request.server);
  const words = server === undefined ? [request.caller] : [request.caller, server];
  const implied = await callerImplied(deps, config.rules, request, words, server);
  const resolution = resolveInvocation(config, { invoked: words, argv: words, implied }, { profile: options.profile, envProfile: deps.env.GUARD_PROFILE, tier: options.tier });
  const session = await authorize(deps, config, resolution, words.join(' '), { ...options, prompt: request.prompt }, true, request.need?.(resolution.profile));
  const at = deps.now();
  const answer = await request.answer({ resolution, state: session.state, tokens: session.tokens!, limits: withIdpLimits(resolution.limits, session.state.idp_limits), at });
  touchActivity(deps.paths.stateDir, resolution.profile.name, session.state.session_id, at);
  deps.audit('allowed', {
    profile: resolution.profile.name,
    tier: resolution.tier,
    rules: resolution.rules.map((rule) => rule.name),
    command: resolution.label,
    ...(server === undefined ? {} : { server }),
    session_id: session.state.session_id,
  });
  return answer;
}
