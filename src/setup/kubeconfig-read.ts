/**
 * Reads the kubeconfig files kubectl would read (`$KUBECONFIG`, a
 * colon-separated list, else `~/.kube/config`) just enough to name each
 * context and tell whether its user gets credentials from `guard
 * kube-credential` (SPEC §9). Never writes; `guard kubeconfig` does that.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'yaml';
import { kubeconfigPaths, mergeKubeconfigs } from '../policy/implied/kubeconfig.ts';
import { parseKubeconfig } from '../policy/implied/parse-kubeconfig.ts';
import { normalizeKubeServer } from '../util/normalize-url.ts';

export interface KubeContext {
  name: string;
  user?: string;
  file: string;
}

export interface KubeUser {
  name: string;
  file: string;
  /** The exec plugin, when the user has one. */
  exec?: { command: string; args: string[]; apiVersion?: string };
}

export interface Kubeconfig {
  files: string[];
  contexts: KubeContext[];
  users: KubeUser[];
  /** Files that exist but could not be read or parsed. */
  problems: Array<{ file: string; problem: string }>;
}

const records = (value: unknown): Record<string, unknown>[] =>
  Array.isArray(value) ? value.filter((v): v is Record<string, unknown> => Boolean(v) && typeof v === 'object' && !Array.isArray(v)) : [];
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Every context and user over the files; a file that does not exist is simply skipped. */
export function readKubeconfig(env: NodeJS.ProcessEnv, home: string): Kubeconfig {
  const result: Kubeconfig = { files: [], contexts: [], users: [], problems: [] };
  for (const file of kubeconfigPaths(env, home)) {
    let doc: unknown;
    try {
      // Merge keys (`cluster: {<<: *prod}`) as client-go applies them (policy/implied/parse-kubeconfig.ts).
      doc = parse(readFileSync(file, 'utf8'), { merge: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      result.problems.push({ file, problem: code ? `cannot be read (${code})` : 'is not valid YAML' });
      continue;
    }
    result.files.push(file);
    const root = doc && typeof doc === 'object' ? (doc as Record<string, unknown>) : {};
    for (const entry of records(root.contexts)) {
      const name = text(entry.name);
      const context = entry.context && typeof entry.context === 'object' ? (entry.context as Record<string, unknown>) : {};
      // kubectl takes the first definition of a name over the files.
      if (name && !result.contexts.some((c) => c.name === name)) result.contexts.push({ name, file, ...(text(context.user) ? { user: text(context.user)! } : {}) });
    }
    for (const entry of records(root.users)) {
      const name = text(entry.name);
      if (!name || result.users.some((u) => u.name === name)) continue;
      const user = entry.user && typeof entry.user === 'object' ? (entry.user as Record<string, unknown>) : {};
      const exec = user.exec && typeof user.exec === 'object' ? (user.exec as Record<string, unknown>) : undefined;
      const command = text(exec?.command);
      result.users.push({
        name,
        file,
        ...(exec && command ? { exec: { command, args: Array.isArray(exec.args) ? exec.args.map(String) : [], ...(text(exec.apiVersion) ? { apiVersion: text(exec.apiVersion)! } : {}) } } : {}),
      });
    }
  }
  return result;
}

/** Does this user get its token from `guard kube-credential`? */
export function usesGuard(user: KubeUser | undefined): boolean {
  return Boolean(user?.exec && basename(user.exec.command) === 'guard' && user.exec.args[0] === 'kube-credential');
}

/**
 * The clusters of the production-looking contexts (named like prod) and
 * their normalised servers, as kubectl would reach them (the merged
 * kubeconfig): what `guard init` proposes rules on (SPEC §14).
 */
export function prodKubeTargets(env: NodeJS.ProcessEnv, home: string): Array<{ context: string; server: string }> {
  const reads = kubeconfigPaths(env, home).map((path) => {
    try {
      return { path, read: parseKubeconfig(readFileSync(path, 'utf8')) };
    } catch {
      return { path, read: { missing: true as const } };
    }
  });
  const merged = mergeKubeconfigs(reads);
  const targets: Array<{ context: string; server: string }> = [];
  for (const [context, entry] of merged.contexts) {
    const server = merged.clusters.get(entry.cluster)?.server;
    const normalized = server ? normalizeKubeServer(server) : undefined;
    // Only a server that is one plain word can be a rule's word.
    if (/prod/i.test(context) && normalized && /^[^\s"'\\]+$/.test(normalized)) targets.push({ context, server: normalized });
  }
  return targets;
}
