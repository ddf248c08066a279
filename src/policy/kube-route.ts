/**
 * One cluster, one tier, whatever the route (SPEC §14): a rule that makes a
 * cluster privileged through kubectl's target words (`--context=`,
 * `--cluster=`, `--server=`) decides `guard kube-credential` for that
 * cluster too. kube-credential's implied words (implied/kube-credential.ts)
 * are the server and every context and cluster of the kubeconfig that
 * reaches it; a kubectl rule applies when it has at least one target word
 * and each of its target words matches one of them.
 *
 * The rule's other words — verbs, resources, `--namespace=` — cannot be
 * known from a credential request, and the credential can do whatever any
 * kubectl command on that cluster can: they count as matching (fail
 * closed). So `kubectl delete ** --context=prod*` makes every credential
 * for prod take that rule's tier (`guard config check` says so).
 *
 * A call that does not say its server gets every rule on kubectl or
 * kube-credential. Pure.
 */
import { spellings } from './flag-aliases.ts';
import { flagPatternAccepts, patternMayMatchProgram, type ImpliedFlag, type Pattern } from './matcher.ts';
import { normalizeKubeServer } from '../util/normalize-url.ts';

/** kubectl's words that name a cluster (its namespace does not). */
export const KUBE_TARGET_FLAGS = ['--context', '--cluster', '--server'] as const;
const KUBECTL = ['kubectl'];

/** The canonical target flag a rule's flag word names (`-s` is `--server`), if any. */
function targetFlagOf(name: string): string | undefined {
  return KUBE_TARGET_FLAGS.find((flag) => spellings(KUBECTL, flag).includes(name));
}

/** Whether a pattern is a kubectl rule with a target word: the rules this route can borrow. */
export function isKubectlTargetRule(pattern: Pattern): boolean {
  return patternMayMatchProgram(pattern, 'kubectl') && pattern.flags.some((flag) => targetFlagOf(flag.name) !== undefined);
}

/**
 * Whether a rule decides the kube-credential call `kube-credential [SERVER]`
 * whose implied words are `implied` (beyond what its own words match).
 */
export function ruleCoversCredential(pattern: Pattern, argv: readonly string[], implied: readonly ImpliedFlag[]): boolean {
  const server = implied.find((word) => word.name === '--server')?.value ?? (argv[1] !== undefined ? normalizeKubeServer(argv[1]) : undefined);
  if (server === undefined) return patternMayMatchProgram(pattern, 'kubectl') || patternMayMatchProgram(pattern, 'kube-credential');
  if (!isKubectlTargetRule(pattern)) return false;
  const words = implied.some((word) => word.name === '--server') ? implied : [...implied, { name: '--server', value: server, caseless: true }];
  return pattern.flags.every((flag) => {
    const target = targetFlagOf(flag.name);
    if (target === undefined) return true; // a verb's flag, the namespace: not knowable here, so matching
    return words.some((word) => word.name === target && flagPatternAccepts(flag, word.value, word.caseless === true));
  });
}

/** The implied flag a kubectl rule's flag word stands for on this route (`-s` → `--server`), or the word itself. */
export function credentialFlagOf(name: string): string {
  return targetFlagOf(name) ?? name;
}
