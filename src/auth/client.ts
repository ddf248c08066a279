/**
 * The only place that imports openid-client (lazily, off the hot path).
 * Discovery checks that the document's issuer equals the configured one
 * (OIDC Discovery §4.3) and every request has a timeout.
 *
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfigurationValidation
 */
import * as oidc from 'openid-client';
import { GuardError } from '../errors.ts';
import { httpTimeout } from '../util/http-timeout.ts';
import { isLoopbackHost } from '../util/net.ts';
import type { Profile } from '../policy/types.ts';
import { idpError } from './idp-error.ts';
import { idpFetch } from './idp-fetch.ts';

export { oidc };


export interface ClientOptions {
  env: NodeJS.ProcessEnv;
  /** Require auth_time in ID tokens (when a tier uses reauth_within). */
  requireAuthTime?: boolean;
  /** Observes every response (for --verbose: slow_down). */
  onResponse?: (url: string, response: Response) => void;
  /** Another client than the profile's public one (CIBA approval, SPEC §11), with how it authenticates. */
  client?: { id: string; auth: oidc.ClientAuth };
}

export async function discoverClient(profile: Profile, options: ClientOptions): Promise<oidc.Configuration> {
  const issuer = new URL(profile.issuer);
  const timeout = httpTimeout(options.env);
  const execute = [oidc.enableNonRepudiationChecks];
  if (issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname)) execute.push(oidc.allowInsecureRequests);
  let config: oidc.Configuration;
  try {
    config = await oidc.discovery(
      issuer,
      options.client?.id ?? profile.client_id,
      { ...(options.client ? {} : { token_endpoint_auth_method: 'none' }), ...(options.requireAuthTime ? { require_auth_time: true } : {}) },
      options.client?.auth ?? oidc.None(),
      // Every request of this configuration (discovery, token, revocation…) goes through idpFetch.
      { execute, timeout, [oidc.customFetch]: idpFetch(profile.issuer, { timeout, onResponse: options.onResponse }) as oidc.CustomFetch },
    );
  } catch (error) {
    if ((error as { code?: string }).code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED') {
      throw new GuardError('idp', `the discovery document of ${profile.issuer} names another issuer; refusing to sign in (check the profile's issuer)`, { cause: error });
    }
    throw idpError(profile.issuer, 'discovery', error);
  }
  config.timeout = timeout;
  return config;
}
