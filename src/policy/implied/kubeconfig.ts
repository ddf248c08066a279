/**
 * What kubectl takes from its kubeconfig when argv does not say it: the
 * current context and that context's namespace. Several files
 * (`KUBECONFIG=a:b`) merge as client-go's loading rules do: missing files
 * are skipped, the first file that sets `current-context` wins, and the
 * first file that defines a context name wins for that context. Pure.
 *
 * @see https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/#merging-kubeconfig-files
 */

/** The two facts guard needs from one kubeconfig file. */
export interface KubeFacts {
  currentContext?: string;
  /** Context name → its namespace ('' when the context sets none). */
  namespaces: Record<string, string>;
}

/** Reading one file: its facts, absent, or a problem (unreadable, not YAML) that makes the value unknown. */
export type KubeRead = { facts: KubeFacts } | { missing: true } | { problem: string };

/** Extracts the facts from a parsed kubeconfig document; undefined when it is not a kubeconfig map. */
export function kubeFactsOf(document: unknown): KubeFacts | undefined {
  if (document === null || document === undefined) return { namespaces: {} };
  if (typeof document !== 'object' || Array.isArray(document)) return undefined;
  const doc = document as Record<string, unknown>;
  const namespaces: Record<string, string> = {};
  if (Array.isArray(doc.contexts)) {
    for (const entry of doc.contexts as unknown[]) {
      const named = entry as { name?: unknown; context?: { namespace?: unknown } } | null;
      if (!named || typeof named.name !== 'string' || named.name in namespaces) continue;
      const namespace = named.context?.namespace;
      namespaces[named.name] = typeof namespace === 'string' ? namespace : '';
    }
  }
  const current = doc['current-context'];
  return { ...(typeof current === 'string' && current !== '' ? { currentContext: current } : {}), namespaces };
}

/** The files kubectl reads: `$KUBECONFIG` split on `:` (empty entries and repeats dropped), else `~/.kube/config`. */
export function kubeconfigPaths(env: Readonly<Record<string, string | undefined>>, home: string): string[] {
  const list = (env.KUBECONFIG ?? '').split(':').filter((path) => path !== '');
  return list.length > 0 ? [...new Set(list)] : [`${home}/.kube/config`];
}

export interface MergedKube {
  /** Unknown (a file could not be read): every value depends on it. */
  problem?: { path: string; reason: string };
  currentContext?: { name: string; path: string };
  /** Context name → namespace and the file that defined it. */
  contexts: Map<string, { namespace: string; path: string }>;
}

/** Merges files in order (client-go's rules). A file that cannot be read makes the result unknown. */
export function mergeKubeconfigs(reads: ReadonlyArray<{ path: string; read: KubeRead }>): MergedKube {
  const merged: MergedKube = { contexts: new Map() };
  for (const { path, read } of reads) {
    if ('missing' in read) continue;
    if ('problem' in read) return { problem: { path, reason: read.problem }, contexts: new Map() };
    const { facts } = read;
    if (!merged.currentContext && facts.currentContext) merged.currentContext = { name: facts.currentContext, path };
    for (const [name, namespace] of Object.entries(facts.namespaces)) {
      if (!merged.contexts.has(name)) merged.contexts.set(name, { namespace, path });
    }
  }
  return merged;
}
