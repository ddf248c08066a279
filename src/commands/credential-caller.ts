/**
 * The decision for a tool that asks guard for a credential instead of being
 * run by it (SPEC §9: kube-credential, git-credential; §15: aws-credential): `run`'s decision for
 * the words `CALLER SERVER`, an allowed call counted as activity, and one
 * `allowed` audit line naming the caller and the server.
 */
import type { Deps } from '../deps.ts';
import type { TokenSet } from '../keychain/keychain.ts';
import { WORD_UNKNOWN } from '../policy/matcher.ts';
import { resolveInvocation, type Resolution } from '../policy/resolve.ts';
import { normalizeUrl } from '../util/normalize-url.ts';
import { callerMatchWords } from '../policy/names.ts';
import type { Profile, Rule } from '../policy/types.ts';
import { readImpliedWords } from '../policy/implied/read-implied.ts';
import type { ImpliedWord } from '../policy/implied/implied-words.ts';
import type { SessionNeed } from '../session/ensure.ts';
import { withIdpLimits } from '../session/idp-limits.ts';
import { sessionFields, touchActivity, type SessionState } from '../session/state.ts';
import { loadContext, resolutionFields, type GlobalOptions } from './context.ts';
import { authorize } from './run.ts';
import { escapeControl } from '../util/text.ts';
import { GuardError, isGuardError } from '../errors.ts';
import { recentRefusal, recordRefusal } from '../integrations/said-once.ts';

export interface CallerOptions extends GlobalOptions {
  tier?: string;
}

export interface CallerRequest {
  /** `kube-credential`, `git-credential` or `aws-credential`: the first word rules match and the audit log's command. */
  caller: string;
  /** Where the credential goes (cluster server, git URL), when the tool says. */
  server?: string;
  /** The server's path is unknown (git without credential.useHttpPath): the credential serves every path, so rules on any path of it apply. */
  serverPathOpen?: boolean;
  /** The implied flag the server also is (SPEC §14: kube-credential's `--server=`), and where it came from. */
  serverFlag?: { name: string; source: string };
  /** Read the caller's other implied words too (kube-credential: the kubeconfig's contexts and clusters on that server). */
  resolveTarget?: boolean;
  /** May a device flow start inline? undefined: SPEC §3's TTY rule; false: never. */
  prompt?: boolean;
  /** Session needs that depend on the profile (which token is handed out). */
  need?: (profile: Profile) => Pick<SessionNeed, 'needsIdToken' | 'inlineHint'>;
  /** Checks the profile before the decision (a setting the answer needs): a problem then stops it before any sign-in. */
  check?: (profile: Profile) => void;
  /**
   * Who runs guard (`git`, `the Kubernetes client`) and what the server word
   * names (`host`, `cluster`): the question and the refusal name them. The
   * tool runs guard, so the refusal cannot advise `--yes`.
   */
  runBy: string;
  targetNoun: string;
  /** The answer for the tool (its stdout); throwing here means nothing was handed out: no activity, no `allowed` line. */
  answer: (call: AllowedCall) => string | Promise<string>;
  /** Fields for the `allowed` audit line, known once the answer is built (never a secret). */
  auditFields?: () => Record<string, unknown>;
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

/**
 * Decides, builds the tool's answer, and only then counts the call as
 * activity and logs it. Returns the answer. A caller refused moments ago
 * for the same words is refused again at once and silently (kubectl runs
 * a refused plugin once per request): one line, one question, one wait.
 */
export async function answerCaller(deps: Deps, options: CallerOptions, request: CallerRequest): Promise<string> {
  // The target in the one form rules are written against (SPEC §14): `HTTPS://Prod.example.com:443/` is `https://prod.example.com`.
  const server = request.server === undefined ? undefined : (normalizeUrl(request.server) ?? request.server);
  const words = server === undefined ? [request.caller] : [request.caller, server];
  const repeated = recentRefusal(deps.paths.stateDir, words, deps.now());
  if (repeated) throw new GuardError(repeated, 'refused moments ago', { said: true });
  try {
    return await decideAndAnswer(deps, options, request, server, words);
  } catch (error) {
    if (isGuardError(error)) recordRefusal(deps.paths.stateDir, words, error.code, deps.now());
    throw error;
  }
}

/**
 * A server whose path the tool did not say (git without credential.useHttpPath
 * sends the host alone): one more form, `SERVER/` with a path that stands for
 * every path, so the rules on any repository of that host apply (fail closed).
 */
export function pathOpenForms(caller: string, server: string | undefined, open: boolean | undefined): Array<{ words: string[]; marks: Uint8Array }> {
  return server !== undefined && open ? [{ words: [caller, `${server}/`], marks: Uint8Array.of(0, WORD_UNKNOWN) }] : [];
}

async function decideAndAnswer(deps: Deps, options: CallerOptions, request: CallerRequest, server: string | undefined, words: string[]): Promise<string> {
  const { config } = await loadContext(deps, options, { deferPolicyWarning: true });
  const implied = await callerImplied(deps, config.rules, request, words, server);
  const resolution = resolveInvocation(config, { invoked: words, argv: callerMatchWords(words), implied, forms: pathOpenForms(request.caller, server, request.serverPathOpen) }, { profile: options.profile, envProfile: deps.env.GUARD_PROFILE, tier: options.tier });
  request.check?.(resolution.profile);
  const target = server === undefined ? '' : ` for ${escapeControl(server)}`;
  const session = await authorize(deps, config, resolution, { ...options, prompt: request.prompt }, true, {
    ...request.need?.(resolution.profile),
    subject: { argv: words, shown: words.join(' ') },
    // Asked on the controlling terminal whatever the tool says of its stdin (SPEC §14); CI or no terminal refuses.
    confirm: {
      question: `Hand ${request.runBy} a credential${target} (tier ${resolution.tier}, profile ${resolution.profile.name})?`,
      instead: `run ${request.runBy} from a terminal, or put ${server === undefined ? `guard ${request.caller}` : `that ${request.targetNoun}`} on a tier without confirm`,
    },
  });
  const at = deps.now();
  const answer = await request.answer({ resolution, state: session.state, tokens: session.tokens!, limits: withIdpLimits(resolution.limits, session.state.idp_limits), at });
  touchActivity(deps.paths.stateDir, resolution.profile.name, session.state.session_id, at);
  deps.audit('allowed', {
    ...resolutionFields(resolution),
    ...(server === undefined ? {} : { server }),
    ...request.auditFields?.(),
    ...sessionFields(session.state),
  });
  return answer;
}
