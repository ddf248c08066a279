/**
 * OpenID Connect Client-Initiated Backchannel Authentication, poll mode
 * (SPEC §11): the IdP asks the person on their phone; guard polls the
 * token endpoint at the IdP's interval, backs off on `slow_down` and stops
 * at `expires_in`. Loaded lazily, like the device flow.
 *
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html
 */
import { lstatSync } from 'node:fs';
import { GuardError } from '../errors.ts';
import { escapeControl } from '../util/text.ts';
import { shellLine } from '../util/shell-quote.ts';
import type { Deps } from '../deps.ts';
import type { Approval, Profile } from '../policy/types.ts';
import { readPrivateFile } from '../files/private-file.ts';
import { discoverClient, oidc } from './client.ts';
import type { DeviceLoginResult } from './device-flow.ts';
import { defaultPollInterval } from './poll-interval.ts';
import { idpError, oauthErrorCode } from './idp-error.ts';
import { idClaims, toTokenSet } from './tokens.ts';
import { pollSignal, pollUntil } from './poll-until.ts';

export interface BackchannelOptions {
  loginHint: string;
  bindingMessage: string;
  /** For a step-up: ask the IdP to authenticate again (seconds). */
  maxAge?: number;
  requireAuthTime?: boolean;
  /** Called once the IdP accepted the request: the moment to tell the person. */
  onRequested?: (expiresIn: number) => void;
  signal?: AbortSignal;
}

/** The client the approval authenticates as: its own (client_secret_env, private_key_jwt) or the profile's public one. */
async function approvalClient(deps: Deps, profile: Profile, approval: Approval): Promise<{ id: string; auth: oidc.ClientAuth } | undefined> {
  if (!approval.client_id) return undefined;
  const where = `profile "${profile.name}" approval`;
  if (approval.client_secret_env) {
    const secret = deps.env[approval.client_secret_env];
    if (!secret) throw new GuardError('config', `${where}: the variable ${approval.client_secret_env} (the client secret) is not set`);
    return { id: approval.client_id, auth: oidc.ClientSecretPost(secret) };
  }
  if (approval.private_key_jwt) {
    const file = readPrivateFile(approval.private_key_jwt);
    if (!('text' in file)) throw new GuardError('config', `${where}: the key file ${approval.private_key_jwt} ${'problem' in file ? file.problem : 'does not exist'}`);
    // A private key others can read is no longer private: mode 0600 (or stricter), like ssh wants.
    if (lstatSync(approval.private_key_jwt).mode & 0o077) throw new GuardError('config', `${where}: the key file ${approval.private_key_jwt} is readable by other users; run: ${shellLine(['chmod', '600', approval.private_key_jwt])}`);
    const { importJWK } = await import('jose');
    let jwk: { alg?: string; kid?: string; d?: string };
    try {
      jwk = JSON.parse(file.text) as typeof jwk;
    } catch {
      throw new GuardError('config', `${where}: ${approval.private_key_jwt} is not a JWK (JSON)`);
    }
    if (typeof jwk.alg !== 'string' || typeof jwk.d !== 'string') throw new GuardError('config', `${where}: ${approval.private_key_jwt} must be a private JWK with "alg"`);
    const key = await importJWK(jwk, jwk.alg);
    return { id: approval.client_id, auth: oidc.PrivateKeyJwt({ key, ...(typeof jwk.kid === 'string' ? { kid: jwk.kid } : {}) } as Parameters<typeof oidc.PrivateKeyJwt>[0]) };
  }
  return { id: approval.client_id, auth: oidc.None() };
}

/** The IdP's backchannel, ready to ask: its discovery done and its CIBA endpoint known. */
export interface Backchannel {
  approve(options: BackchannelOptions): Promise<DeviceLoginResult>;
}

/**
 * Checks what the approval needs of the configuration and the IdP before
 * anything else (the first thing that is wrong is the one said): the
 * approval's own client, then an IdP without a
 * `backchannel_authentication_endpoint` (78, naming the profile).
 */
export async function openBackchannel(deps: Deps, profile: Profile, approval: Approval): Promise<Backchannel> {
  const client = await approvalClient(deps, profile, approval);
  const config = await discoverClient(profile, {
    env: deps.env,
    requireAuthTime: true,
    ...(client ? { client } : {}),
    onResponse: (_url, response) => {
      if (response.status !== 400 || !deps.verbose) return;
      void response.clone().json().then((body) => {
        if ((body as { error?: string } | null)?.error === 'slow_down') deps.io.err('guard: the identity provider asked to slow down; polling less often\n');
      }, () => undefined);
    },
  });
  if (!config.serverMetadata().backchannel_authentication_endpoint) {
    throw new GuardError('config', `profile "${profile.name}" asks for approval by CIBA, but the identity provider ${profile.issuer} has no backchannel_authentication_endpoint; enable CIBA there or remove approval: from the profile`);
  }
  return { approve: (options) => backchannelApprove(deps, profile, approval, { config, client }, options) };
}

/** Sends the backchannel authentication request and polls until the person approves; denial and expiry are 77. */
async function backchannelApprove(deps: Deps, profile: Profile, approval: Approval, { config, client }: { config: oidc.Configuration; client: { id: string } | undefined }, options: BackchannelOptions): Promise<DeviceLoginResult> {
  const started = deps.now();
  // The approval's own client gets no refresh token: its tokens serve one command and are never stored.
  const scopes = client ? profile.scopes.filter((scope) => scope !== 'offline_access') : profile.scopes;
  const parameters: Record<string, string> = { scope: scopes.join(' '), login_hint: options.loginHint, binding_message: options.bindingMessage };
  if (options.maxAge !== undefined) parameters.max_age = String(options.maxAge);
  let request: oidc.BackchannelAuthenticationResponse;
  try {
    request = await oidc.initiateBackchannelAuthentication(config, parameters);
  } catch (error) {
    const code = oauthErrorCode(error);
    if (code === 'invalid_client' || code === 'unauthorized_client') {
      const next = client
        ? `check the approval client_id "${escapeControl(client.id)}" and its ${approval.private_key_jwt ? 'key (private_key_jwt)' : `secret (${approval.client_secret_env ?? 'none set'})`} at the IdP`
        : 'give it an approval client_id with client_secret_env or private_key_jwt (see docs/approval-ciba.md)';
      throw new GuardError('config', `the identity provider refused guard's client for CIBA (${code}) for profile "${profile.name}"; ${next}`, { cause: error });
    }
    if (code === 'unknown_user_id') throw new GuardError('auth', `the identity provider does not know the login_hint from claim "${escapeControl(approval.login_hint)}"; run guard login once at a terminal, or choose another login_hint claim`, { cause: error });
    throw idpError(profile.issuer, 'the backchannel authentication request', error);
  }
  if (request.interval === undefined) request = { ...request, interval: defaultPollInterval(profile.issuer, deps.env) };
  options.onRequested?.(request.expires_in);

  const { signal, expiry } = pollSignal(request.expires_in, options.signal);
  let response;
  try {
    response = await pollUntil(oidc.pollBackchannelAuthenticationGrant(config, request, undefined, { signal }), signal);
  } catch (error) {
    if (options.signal?.aborted) throw new GuardError('cancelled', 'approval cancelled; the command was not run');
    const code = oauthErrorCode(error);
    if (expiry.aborted || code === 'expired_token') throw new GuardError('auth', `the approval request "${options.bindingMessage}" expired before it was approved; the command was not run`, { cause: error });
    if (code === 'access_denied') throw new GuardError('auth', `the approval "${options.bindingMessage}" was denied; the command was not run`, { cause: error });
    throw idpError(profile.issuer, 'the approval', error);
  }
  const claims = idClaims(response, deps.now(), profile.issuer, 'the approval');
  if (!claims) throw new GuardError('idp', `the identity provider ${profile.issuer} returned no ID token for the approval; add "openid" to the profile's scopes`);
  return { tokens: toTokenSet(response, deps.now()), claims, started };
}
