/**
 * `guard kube-credential [--profile P] [--tier T] [--server URL]`: a
 * client-go exec credential plugin (SPEC §9). Prints nothing but the
 * ExecCredential on stdout; every message goes to stderr, which kubectl
 * shows the user. The server is the one client-go says
 * (KUBERNETES_EXEC_INFO's spec.cluster, which is where the credential
 * goes), else `--server`; kubectl's rules on the kubeconfig's contexts and
 * clusters on that server decide it too (SPEC §14, policy/kube-route.ts).
 *
 * @see https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins
 */
import type { Deps } from '../deps.ts';
import { GuardError } from '../errors.ts';
import { formatExecCredential, readExecInfo } from '../integrations/kube/exec-info.ts';
import { credentialExpiresAt } from '../integrations/credential-expiry.ts';
import { jwtExpiresAt } from '../session/id-token.ts';
import { loginHint } from '../session/ensure.ts';
import { normalizeKubeServer } from '../util/normalize-url.ts';
import { answerCaller, type CallerOptions } from './credential-caller.ts';

const NO_INLINE = ' (guard kube-credential signs in only when the Kubernetes client runs it at a terminal)';

export interface KubeCredentialOptions extends CallerOptions {
  /** The cluster's server, for a kubeconfig user without provideClusterInfo. */
  server?: string;
}

export async function kubeCredential(deps: Deps, options: KubeCredentialOptions): Promise<number> {
  const info = readExecInfo(deps.env.KUBERNETES_EXEC_INFO);
  const given = info.server ?? options.server;
  // The resource is the server in the one form rules and API servers are configured with (SPEC §14).
  const server = given === undefined ? undefined : normalizeKubeServer(given);
  const answer = await answerCaller(deps, options, {
    caller: 'kube-credential',
    targetNoun: 'cluster',
    runBy: 'the Kubernetes client',
    server,
    serverFlag: { name: '--server', source: info.server !== undefined ? 'KUBERNETES_EXEC_INFO' : 'kube-credential --server' },
    resolveTarget: true,
    // SPEC §9: a device flow only when the client says it may talk to the user.
    prompt: info.interactive ? undefined : false,
    need: (profile) => ({ needsIdToken: !profile.kube_resource && (profile.kube_token ?? 'id_token') === 'id_token', inlineHint: NO_INLINE }),
    answer: async (call) => {
      const { tokens, resolution } = call;
      const { profile } = resolution;
      if (profile.kube_resource) {
        // SPEC §14: a token for this cluster alone, its audience the normalised server URL.
        if (server === undefined) throw new GuardError('config', `profile "${profile.name}" has kube_resource: true, so guard kube-credential needs the cluster's server: set provideClusterInfo: true on the kubeconfig user (guard kubeconfig does) or pass --server URL`);
        const { resourceToken } = await import('../session/resource-tokens.ts');
        const kept = await resourceToken(deps, profile, { state: call.state, tokens }, server);
        return formatExecCredential(info.apiVersion, kept.token, credentialExpiresAt(kept.expiresAt, call.limits, call.state, call.at));
      }
      const kind = profile.kube_token ?? 'id_token';
      const token = kind === 'id_token' ? tokens.id_token : tokens.access_token;
      const tokenExpiresAt = kind === 'id_token' ? (token ? jwtExpiresAt(token) : undefined) : (tokens.expires_at ?? call.state.access_expires_at ?? undefined);
      if (!token || tokenExpiresAt === undefined || tokenExpiresAt <= call.at) {
        throw new GuardError('auth', `the identity provider gave profile "${profile.name}" no valid ${kind === 'id_token' ? 'ID' : 'access'} token for Kubernetes; ${loginHint(profile)}`);
      }
      return formatExecCredential(info.apiVersion, token, credentialExpiresAt(tokenExpiresAt, call.limits, call.state, call.at));
    },
  });
  deps.io.out(answer);
  return 0;
}
