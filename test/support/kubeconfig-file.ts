/**
 * A kubeconfig for the tests' API stand-ins: clusters (with the test CA),
 * contexts on them, each with a user of its own holding a placeholder
 * token (guard kubeconfig replaces it with the exec plugin).
 */
import { readFileSync, writeFileSync } from 'node:fs';

export interface KubeconfigSpec {
  caFile: string;
  clusters: Array<[name: string, server: string]>;
  /** Name, cluster, and the namespace when the context sets one. */
  contexts: Array<[name: string, cluster: string, namespace?: string]>;
  current: string;
}

export function writeTestKubeconfig(path: string, spec: KubeconfigSpec): void {
  const caData = readFileSync(spec.caFile).toString('base64');
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      ...spec.clusters.flatMap(([name, url]) => ['- cluster:', `    certificate-authority-data: ${caData}`, `    server: ${url}`, `  name: ${name}`]),
      'contexts:',
      ...spec.contexts.map(([name, cluster, namespace]) => `- context: { cluster: ${cluster}, user: ${name}-user${namespace ? `, namespace: ${namespace}` : ''} }\n  name: ${name}`),
      `current-context: ${spec.current}`,
      'users:',
      ...spec.contexts.map(([name]) => `- name: ${name}-user\n  user: { token: unused }`),
      '',
    ].join('\n'),
  );
}

/** KUBERNETES_EXEC_INFO as kubectl sets it for a non-interactive call, with the cluster's server when given. */
export function execInfo(server?: string): string {
  return JSON.stringify({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1', spec: { interactive: false, ...(server ? { cluster: { server } } : {}) } });
}
