/**
 * kube-credential's target (SPEC §14): the server the exec plugin's
 * credential goes to, and — so that a rule on kubectl's `--context=` or
 * `--cluster=` decides this route too — every context and cluster of the
 * kubeconfig whose server is that one (the plugin's own environment:
 * `$KUBECONFIG`, else `~/.kube/config`; client-go runs the plugin with the
 * user's). argv is `kube-credential [SERVER]`; no server (the client did
 * not say it) is an unknown `--server=`. Pure.
 */
import { normalizeKubeServer } from '../../util/normalize-url.ts';
import type { ImpliedReader, ImpliedWord } from './implied-types.ts';
import { showPath } from './home-dir.ts';
import { readMerged } from './kubectl.ts';

export const NO_SERVER = 'the Kubernetes client did not say its server (no spec.cluster in KUBERNETES_EXEC_INFO: provideClusterInfo is off) and no --server was given';

export async function kubeCredentialWords(argv: readonly string[], needed: ReadonlySet<string>, reader: ImpliedReader): Promise<ImpliedWord[]> {
  const given = argv[1];
  if (given === undefined) return [{ name: '--server', value: undefined, source: 'kube-credential', problem: NO_SERVER, caseless: true }];
  const server = normalizeKubeServer(given);
  const words: ImpliedWord[] = [{ name: '--server', value: server, source: 'argv', caseless: true }];
  if (!needed.has('--context') && !needed.has('--cluster')) return words;
  const merged = await readMerged(undefined, reader);
  if ('refused' in merged) {
    const { source, problem } = merged.refused;
    return [...words, ...['--context', '--cluster'].filter((name) => needed.has(name)).map((name) => ({ name, value: undefined, source, problem: `${problem} to map ${server} to its contexts` }))];
  }
  const clusters = [...merged.clusters].filter(([, cluster]) => cluster.server !== '' && normalizeKubeServer(cluster.server) === server);
  const names = new Set(clusters.map(([name]) => name));
  if (needed.has('--cluster')) for (const [name, cluster] of clusters) words.push({ name: '--cluster', value: name, source: showPath(cluster.path, reader) });
  if (needed.has('--context')) {
    for (const [name, context] of merged.contexts) if (names.has(context.cluster)) words.push({ name: '--context', value: name, source: showPath(context.path, reader) });
  }
  return words;
}
