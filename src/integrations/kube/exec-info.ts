/**
 * The client-go exec credential protocol (SPEC §9): what kubectl, k9s, Lens
 * and helm pass to a credential plugin in `KUBERNETES_EXEC_INFO`, and the
 * `ExecCredential` the plugin prints on stdout. Pure.
 *
 * @see https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins
 * @see https://kubernetes.io/docs/reference/config-api/client-authentication.v1/
 */
import { GuardError } from '../../errors.ts';
import { isoTimeSeconds } from '../../util/iso-time.ts';

/** The API versions guard speaks; the answer echoes the one it was asked in. */
export const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'] as const;
export type ExecApiVersion = (typeof EXEC_API_VERSIONS)[number];

export interface ExecInfo {
  apiVersion: ExecApiVersion;
  /** May the plugin talk to the user (stdin is the user's terminal)? Only then may a device flow start. */
  interactive: boolean;
  /** spec.cluster.server, present when the kubeconfig user sets provideClusterInfo: true. */
  server?: string;
}

/**
 * Reads `KUBERNETES_EXEC_INFO`. Unset (guard run by hand) means v1 and not
 * interactive: without the client saying so, never start a sign-in. A value
 * that is not an ExecCredential of a known version is a usage error.
 */
export function readExecInfo(value: string | undefined): ExecInfo {
  if (value === undefined || value.trim() === '') return { apiVersion: EXEC_API_VERSIONS[0], interactive: false };
  let info: { kind?: unknown; apiVersion?: unknown; spec?: { interactive?: unknown; cluster?: { server?: unknown } | null } | null };
  try {
    info = JSON.parse(value) as typeof info;
  } catch {
    throw new GuardError('usage', 'KUBERNETES_EXEC_INFO is not JSON; guard kube-credential is meant to be run by kubectl (see guard kubeconfig)');
  }
  if (!info || typeof info !== 'object' || info.kind !== 'ExecCredential' || !(EXEC_API_VERSIONS as readonly unknown[]).includes(info.apiVersion)) {
    const version = typeof info?.apiVersion === 'string' ? info.apiVersion : 'none';
    throw new GuardError('usage', `KUBERNETES_EXEC_INFO asks for an ExecCredential of apiVersion ${JSON.stringify(version)}; guard speaks ${EXEC_API_VERSIONS.join(' and ')} (set the kubeconfig user's exec.apiVersion to one of them)`);
  }
  const server = info.spec?.cluster?.server;
  return {
    apiVersion: info.apiVersion as ExecApiVersion,
    interactive: info.spec?.interactive === true,
    ...(typeof server === 'string' && server !== '' ? { server } : {}),
  };
}

/**
 * The ExecCredential to print: the token and when the client must ask
 * again. The timestamp is RFC 3339 in whole seconds, rounded down, so it is
 * never later than `expiresAt`.
 */
export function formatExecCredential(apiVersion: ExecApiVersion, token: string, expiresAt: number): string {
  return `${JSON.stringify({ apiVersion, kind: 'ExecCredential', status: { token, expirationTimestamp: isoTimeSeconds(expiresAt) } })}\n`;
}
