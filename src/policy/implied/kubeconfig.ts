/**
 * What kubectl takes from its kubeconfig: the current context, each
 * context's cluster and namespace, each cluster's server. Several files
 * (`KUBECONFIG=a:b`) merge as client-go's loading rules do: missing files
 * are skipped, the first file that sets `current-context` wins, and the
 * first file that defines a context (cluster) name wins for that name. Pure.
 *
 * @see https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/#merging-kubeconfig-files
 */
import { join } from 'node:path';

/** The facts guard needs from one kubeconfig file. */
export interface KubeFacts {
  currentContext?: string;
  /** Context name → its cluster and namespace ('' when the context sets none). */
  contexts: Record<string, { cluster: string; namespace: string }>;
  /** Cluster name → its server ('' when the cluster sets none). */
  clusters: Record<string, string>;
}

/** Reading one file: its facts, absent, or a problem (unreadable, not YAML) that makes the value unknown. */
export type KubeRead = { facts: KubeFacts } | { missing: true } | { problem: string };

const text = (value: unknown) => (typeof value === 'string' ? value : '');

/**
 * The named entries of a kubeconfig list (`contexts:`, `clusters:`). A name
 * twice in one file is an error to client-go (it refuses the file), so it is
 * one here too: undefined.
 */
function named<T>(list: unknown, body: string, read: (entry: Record<string, unknown>) => T): Record<string, T> | undefined {
  const out: Record<string, T> = {};
  if (list === undefined || list === null) return out;
  if (!Array.isArray(list)) return undefined;
  for (const entry of list as unknown[]) {
    const item = entry as { name?: unknown } & Record<string, unknown> | null;
    if (!item || typeof item !== 'object' || typeof item.name !== 'string') return undefined;
    if (Object.hasOwn(out, item.name)) return undefined;
    const inner = item[body];
    out[item.name] = read(inner && typeof inner === 'object' ? (inner as Record<string, unknown>) : {});
  }
  return out;
}

/** Extracts the facts from a parsed kubeconfig document; a string saying why when it is not a kubeconfig client-go would load. */
export function kubeFactsOf(document: unknown): KubeFacts | string {
  if (document === null || document === undefined) return { contexts: {}, clusters: {} };
  if (typeof document !== 'object' || Array.isArray(document)) return 'not a kubeconfig (no top-level map)';
  const doc = document as Record<string, unknown>;
  const contexts = named(doc.contexts, 'context', (context) => ({ cluster: text(context.cluster), namespace: text(context.namespace) }));
  const clusters = named(doc.clusters, 'cluster', (cluster) => text(cluster.server));
  if (!contexts || !clusters) return 'not a kubeconfig kubectl loads (a list entry without a name, or a name twice)';
  const current = doc['current-context'];
  return { ...(typeof current === 'string' && current !== '' ? { currentContext: current } : {}), contexts, clusters };
}

/** The files kubectl reads: `$KUBECONFIG` split on `:` (empty entries and repeats dropped), else `~/.kube/config` (relative when home is empty, as client-go's path.Join makes it). */
export function kubeconfigPaths(env: Readonly<Record<string, string | undefined>>, home: string): string[] {
  const list = (env.KUBECONFIG ?? '').split(':').filter((path) => path !== '');
  return list.length > 0 ? [...new Set(list)] : [join(home, '.kube', 'config')];
}

export interface MergedKube {
  /** Unknown (a file could not be read): every value depends on it. */
  problem?: { path: string; reason: string };
  currentContext?: { name: string; path: string };
  /** Context name → its cluster, namespace and the file that defined it. */
  contexts: Map<string, { cluster: string; namespace: string; path: string }>;
  /** Cluster name → its server and the file that defined it. */
  clusters: Map<string, { server: string; path: string }>;
}

/** Merges files in order (client-go's rules). A file that cannot be read makes the result unknown. */
export function mergeKubeconfigs(reads: ReadonlyArray<{ path: string; read: KubeRead }>): MergedKube {
  const merged: MergedKube = { contexts: new Map(), clusters: new Map() };
  for (const { path, read } of reads) {
    if ('missing' in read) continue;
    if ('problem' in read) return { problem: { path, reason: read.problem }, contexts: new Map(), clusters: new Map() };
    const { facts } = read;
    if (!merged.currentContext && facts.currentContext) merged.currentContext = { name: facts.currentContext, path };
    for (const [name, context] of Object.entries(facts.contexts)) if (!merged.contexts.has(name)) merged.contexts.set(name, { ...context, path });
    for (const [name, server] of Object.entries(facts.clusters)) if (!merged.clusters.has(name)) merged.clusters.set(name, { server, path });
  }
  return merged;
}
