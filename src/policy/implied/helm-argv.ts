/**
 * helm's argv and environment for its target (SPEC §14): `--kube-context`
 * (else HELM_KUBECONTEXT), `-n`/`--namespace` (else HELM_NAMESPACE),
 * `--kube-apiserver` (else HELM_KUBEAPISERVER), `--kubeconfig`. helm is
 * not on every machine, so guard has no table of its subcommands' flags:
 * a value that may belong to another flag (`--set --namespace=x`) or sits
 * inside a cluster of short flags (`-an prod`) is unsure, and rules on it
 * apply (fail closed). Pure.
 *
 * @see https://helm.sh/docs/helm/helm/
 */
import type { KubeArgs, KubeTargetFlag } from './kubectl-argv.ts';
import { typedFlag } from './typed-flag.ts';

const FLAGS: ReadonlyArray<[KubeTargetFlag, string[], string | undefined]> = [
  ['context', ['--kube-context'], 'HELM_KUBECONTEXT'],
  ['namespace', ['--namespace', '-n'], 'HELM_NAMESPACE'],
  ['server', ['--kube-apiserver'], 'HELM_KUBEAPISERVER'],
  ['kubeconfig', ['--kubeconfig'], undefined],
];

/** A cluster of short flags with `letter` after its first one (`-an`): pflag may read the letter as a flag. */
function inCluster(argv: readonly string[], letter: string): boolean {
  const end = argv.indexOf('--');
  return argv.slice(1, end < 0 ? undefined : end).some((word) => /^-[A-Za-z]{2,}/.test(word) && !word.startsWith('--') && word.slice(2).split('=')[0]!.includes(letter));
}

export function readHelmArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): KubeArgs {
  const flags: KubeArgs['flags'] = {};
  const unsure = new Set<KubeTargetFlag>();
  for (const [flag, names, variable] of FLAGS) {
    const typed = typedFlag(argv, names);
    if (typed.unsure || (flag === 'namespace' && inCluster(argv, 'n'))) unsure.add(flag);
    if (typed.value !== undefined) flags[flag] = { value: typed.value, source: 'argv' };
    else if (variable && env[variable]) flags[flag] = { value: env[variable]!, source: variable };
  }
  return { flags, ...(unsure.size > 0 ? { unsure } : {}) };
}
