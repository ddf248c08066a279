/**
 * kubectl's and helm's target (SPEC §14): the context, cluster, server and
 * namespace the program will use — typed or not — read as client-go reads
 * them: `--kubeconfig`, else `$KUBECONFIG` (merged), else `~/.kube/config`;
 * `--context`, else the current context; `--cluster`, else the context's;
 * `-s`/`--server`, else that cluster's server; `-n`, else the context's
 * namespace, else `default`. argv is read as the program's own parser
 * reads it (kubectl-argv.ts, helm-argv.ts). Pure: files come through the
 * injected reader.
 *
 * @see https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/
 */
import { isAbsolute, join } from 'node:path';
import { normalizeKubeServer } from '../../util/normalize-url.ts';
import { readHelmArgs } from './helm-argv.ts';
import type { ImpliedReader, ImpliedWord } from './implied-types.ts';
import { clientGoHome, showPath } from './home-dir.ts';
import { kubeconfigPaths, mergeKubeconfigs, type MergedKube } from './kubeconfig.ts';
import { readKubectlArgs, type KubeArgs, type KubeTargetFlag } from './kubectl-argv.ts';

/** The target's four words and, for each, the flag names it is implied under (helm says `--kube-context`). */
const WORDS: ReadonlyArray<[Exclude<KubeTargetFlag, 'kubeconfig'>, string[]]> = [
  ['context', ['--context']],
  ['cluster', ['--cluster']],
  ['server', ['--server']],
  ['namespace', ['--namespace']],
];

function kubectlArgs(argv: readonly string[]): KubeArgs {
  const read = readKubectlArgs(argv);
  const flags: KubeArgs['flags'] = {};
  for (const [name, value] of Object.entries(read.flags)) flags[name as KubeTargetFlag] = { value, source: 'argv' };
  // pflag reads a bool as Go's strconv.ParseBool; anything else makes kubectl refuse the command.
  const all = read.allNamespaces === undefined ? false : /^(1|t|T|TRUE|true|True)$/.test(read.allNamespaces);
  return { flags, ...(all ? { allNamespaces: true } : {}), ...(read.problem ? { problem: read.problem } : {}) };
}

export async function kubeWords(argv: readonly string[], needed: ReadonlySet<string>, reader: ImpliedReader, helm: boolean): Promise<ImpliedWord[]> {
  const names = (flag: KubeTargetFlag, base: string[]) => (helm && flag === 'context' ? ['--kube-context', ...base] : base).filter((name) => needed.has(name));
  const wanted = WORDS.map(([flag, base]) => [flag, names(flag, base)] as const).filter(([, list]) => list.length > 0);
  if (wanted.length === 0) return [];
  const args = helm ? readHelmArgs(argv, reader.env) : kubectlArgs(argv);
  const { kube, ...target } = await resolveTarget(args, reader);
  const words = wanted.flatMap(([flag, list]) => {
    const known = target[flag];
    return known === null ? [] : list.map((name) => ({ name, ...known, ...(flag === 'server' ? { caseless: true } : {}) }));
  });
  return [...words, ...sameServer(kube, target, wanted, reader)];
}

/**
 * One target, whatever names reach it (SPEC §14): the other clusters of the
 * kubeconfig with the server the command reaches, and the contexts that use
 * them, as more `--cluster=` / `--context=` words — so `kubectl -s
 * https://prod…` or a context re-pointed at the prod cluster's server meets
 * the rules written on prod's cluster or context names, as kube-credential
 * does for the same server.
 */
function sameServer(kube: MergedKube | undefined, target: Resolved, wanted: ReadonlyArray<readonly [string, readonly string[]]>, reader: ImpliedReader): ImpliedWord[] {
  const server = target.server?.value;
  if (!kube || server === undefined) return [];
  const namesOf = (flag: string) => wanted.find(([f]) => f === flag)?.[1] ?? [];
  const clusters = [...kube.clusters].filter(([name, cluster]) => cluster.server !== '' && normalizeKubeServer(cluster.server) === server && name !== target.cluster?.value);
  const sameNames = new Set([...clusters.map(([name]) => name), ...(target.cluster?.value !== undefined ? [target.cluster.value] : [])]);
  const words: ImpliedWord[] = [];
  for (const [name, cluster] of clusters) for (const flag of namesOf('cluster')) words.push({ name: flag, value: name, source: `${showPath(cluster.path, reader)} (same server)` });
  for (const [name, context] of kube.contexts) {
    if (name === target.context?.value || !sameNames.has(context.cluster)) continue;
    for (const flag of namesOf('context')) words.push({ name: flag, value: name, source: `${showPath(context.path, reader)} (same server)` });
  }
  return words;
}

type Value = { value: string | undefined; source: string; problem?: string };
/** Each target word: its value, or null when the program uses none (no context is set). */
type Resolved = Record<Exclude<KubeTargetFlag, 'kubeconfig'>, Value | null>;

/** client-go's default server when no cluster gives one (kubectl's ClusterDefaults). */
const DEFAULT_SERVER = 'http://localhost:8080';

/**
 * The target from argv's flags and the kubeconfig, in client-go's order. A
 * value that cannot be known (an unreadable file, or a configuration kubectl
 * refuses: a context or a typed cluster that does not exist) is undefined,
 * with the reason.
 */
async function resolveTarget(args: KubeArgs, reader: ImpliedReader): Promise<Resolved & { kube?: MergedKube }> {
  const unknown = (source: string, problem: string): Value => ({ value: undefined, source, problem });
  if (args.problem) {
    const all = unknown('argv', args.problem);
    return { context: all, cluster: all, server: all, namespace: all };
  }
  /** A typed value (an empty one is no choice: client-go falls back as if nothing were typed). */
  const typed = (flag: KubeTargetFlag): Value | undefined => {
    if (args.unsure?.has(flag)) return unknown('argv', `argv may set --${flag} in a way guard cannot read`);
    const given = args.flags[flag];
    return given && given.value !== '' ? { value: flag === 'server' ? normalizeKubeServer(given.value) : given.value, source: given.source } : undefined;
  };
  const kube = await readMerged(typed('kubeconfig'), reader);
  const shown = (path: string) => showPath(path, reader);

  const context: Value | null = typed('context') ?? ('refused' in kube ? kube.refused : kube.currentContext ? { value: kube.currentContext.name, source: shown(kube.currentContext.path) } : null);
  let entry: { cluster: string; namespace: string; path: string } | undefined;
  let refused: Value | undefined;
  if ('refused' in kube) refused = kube.refused;
  else if (context?.value !== undefined) {
    entry = kube.contexts.get(context.value);
    if (!entry) refused = unknown(context.source, `kubectl refuses the context "${context.value}": it is not in the kubeconfig`);
  } else if (context) refused = context;

  const typedCluster = typed('cluster');
  const cluster: Value | null = typedCluster ?? refused ?? (entry && entry.cluster !== '' ? { value: entry.cluster, source: shown(entry.path) } : null);
  const server: Value = typed('server') ?? refused ?? serverOf(kube as MergedKube, cluster, typedCluster !== undefined, shown);
  // -A reaches every namespace: each rule on one applies (fail closed).
  const everyNamespace = args.allNamespaces ? unknown('argv', '--all-namespaces reaches every namespace') : undefined;
  const namespace: Value = everyNamespace ?? typed('namespace') ?? refused ?? (entry && entry.namespace !== '' ? { value: entry.namespace, source: shown(entry.path) } : { value: 'default', source: 'kubectl default' });
  return { context, cluster, server, namespace, ...('refused' in kube ? {} : { kube }) };
}

/** The cluster's server; client-go's default when the cluster gives none, and a refusal for a typed cluster that does not exist. */
function serverOf(kube: MergedKube, cluster: Value | null, typedCluster: boolean, shown: (path: string) => string): Value {
  if (cluster && cluster.value === undefined) return cluster;
  const found = cluster?.value === undefined ? undefined : kube.clusters.get(cluster.value);
  if (!found && typedCluster) return { value: undefined, source: 'argv', problem: `kubectl refuses the cluster "${cluster!.value}": it is not in the kubeconfig` };
  return found && found.server !== '' ? { value: normalizeKubeServer(found.server), source: shown(found.path) } : { value: DEFAULT_SERVER, source: 'kubectl default' };
}

/** The merged kubeconfig: `--kubeconfig` alone when typed (it must exist), else `$KUBECONFIG`'s files or `~/.kube/config` (what an exec plugin's client read, too). */
export async function readMerged(typed: Value | undefined, reader: ImpliedReader): Promise<MergedKube | { refused: Value }> {
  if (typed && typed.value === undefined) return { refused: typed };
  const explicit = typed?.value;
  const paths = (explicit !== undefined ? [explicit] : kubeconfigPaths(reader.env, clientGoHome(reader.env))).map((path) => (isAbsolute(path) ? path : join(reader.cwd, path)));
  const reads = [];
  for (const path of paths) reads.push({ path, read: await reader.readKubeconfig(path) });
  if (explicit !== undefined && 'missing' in reads[0]!.read) return { refused: { value: undefined, source: 'argv', problem: `kubectl refuses --kubeconfig ${showPath(paths[0]!, reader)}: it does not exist` } };
  const merged = mergeKubeconfigs(reads);
  if (!merged.problem) return merged;
  const shown = showPath(merged.problem.path, reader);
  return { refused: { value: undefined, source: shown, problem: `cannot read ${shown} (${merged.problem.reason})` } };
}
