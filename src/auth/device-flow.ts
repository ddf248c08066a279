/**
 * OAuth 2.0 Device Authorization Grant (RFC 8628) login. Prints the
 * verification URL and user code on stderr, polls at the IdP's interval
 * (backing off on slow_down, RFC 8628 §3.5) and stops at expires_in.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628
 */
import { GuardError } from '../errors.ts';
import type { Profile } from '../policy/types.ts';
import { warn, type Deps } from '../deps.ts';
import { discoverClient, oidc } from './client.ts';
import { idpError } from './idp-error.ts';
import { pollFetch } from './idp-fetch.ts';
import { httpTimeout } from '../util/http-timeout.ts';
import { idClaims, toTokenSet, type IdClaims } from './tokens.ts';
import type { TokenSet } from '../keychain/keychain.ts';
import { showDeviceCode } from '../ui/device-code.ts';
import { displayNameFor } from './display-name.ts';
import { pollSignal, pollUntil } from './poll-until.ts';
import { defaultPollInterval } from './poll-interval.ts';

export interface DeviceLoginOptions {
  /** Ask the IdP to re-authenticate (step-up): sends max_age and prompt=login. */
  stepUp?: boolean;
  requireAuthTime?: boolean;
  /** Why the login is needed, shown above the code. */
  reason?: string;
  /** The reason is a step-up's (the screen says "step-up", not "sign-in needed"). */
  forStepUp?: boolean;
  noBrowser?: boolean;
  signal?: AbortSignal;
}

export interface DeviceLoginResult {
  tokens: TokenSet;
  claims: IdClaims;
  /** A readable name for the user (preferred_username, email or name), if the IdP gives one. */
  displayName?: string;
  /** When the flow started (ms): a step-up's auth_time must not be older. */
  started: number;
}

export async function deviceLogin(deps: Deps, profile: Profile, options: DeviceLoginOptions = {}): Promise<DeviceLoginResult> {
  let slowDowns = 0;
  const onResponse = (_url: string, response: Response) => {
    if (response.status === 400) {
      void response.clone().json().then((body) => {
        if ((body as { error?: string } | null)?.error === 'slow_down') {
          slowDowns += 1;
          if (deps.verbose) deps.io.err(`guard: the identity provider asked to slow down (slow_down #${slowDowns}); polling less often\n`);
        }
      }, () => undefined);
    }
  };
  const config = await discoverClient(profile, { env: deps.env, requireAuthTime: options.requireAuthTime || options.stepUp });
  const started = deps.now();
  const parameters = new URLSearchParams({ scope: profile.scopes.join(' ') });
  // RFC 8707 §2: one resource parameter per resource (a space-joined value is one invalid URI).
  for (const resource of profile.resources) parameters.append('resource', resource);
  if (options.stepUp) {
    // Some IdPs honour only one of these; the auth_time check below is what counts.
    parameters.set('max_age', '1');
    parameters.set('prompt', 'login');
  }
  let authorization: oidc.DeviceAuthorizationResponse;
  try {
    authorization = await oidc.initiateDeviceAuthorization(config, parameters);
  } catch (error) {
    throw idpError(profile.issuer, 'the device authorization request', error);
  }
  if (authorization.interval === undefined) authorization = { ...authorization, interval: defaultPollInterval(profile.issuer, deps.env) };

  const display = await showDeviceCode(deps, {
    profile: profile.name,
    reason: options.reason,
    stepUp: options.forStepUp,
    verificationUri: authorization.verification_uri,
    verificationUriComplete: authorization.verification_uri_complete,
    userCode: authorization.user_code,
    expiresIn: authorization.expires_in,
    noBrowser: options.noBrowser,
  });
  const { signal, expiry } = pollSignal(authorization.expires_in, options.signal);
  // A poll that fails on the network is sent again while the code lives: a blip must not end a sign-in the user is approving.
  const polls = pollFetch(profile.issuer, {
    timeout: config.timeout ?? httpTimeout(deps.env),
    signal,
    onResponse,
    onBlip: (error) => warn(deps, `${idpError(profile.issuer, 'sign-in', error).message.split(';')[0]!}; trying again while the code is valid`),
  });
  config[oidc.customFetch] = polls as oidc.CustomFetch;
  let response;
  try {
    response = await pollUntil(oidc.pollDeviceAuthorizationGrant(config, authorization, undefined, { signal }), signal);
  } catch (error) {
    if (options.signal?.aborted) throw new GuardError('cancelled', 'sign-in cancelled');
    // The code ran out while the IdP could not be reached: that is the outage (69), not a slow approval.
    if (expiry.aborted && polls.lastFailure() !== undefined) throw idpError(profile.issuer, 'sign-in', polls.lastFailure());
    if (expiry.aborted) throw new GuardError('auth', 'the device code expired before it was approved; run the command again for a new code');
    throw idpError(profile.issuer, 'sign-in', error);
  } finally {
    display.stop();
  }
  const claims = idClaims(response, deps.now(), profile.issuer, 'sign-in');
  if (!claims) throw new GuardError('idp', `the identity provider ${profile.issuer} returned no ID token; add "openid" to the profile's scopes`);
  const tokens = toTokenSet(response, deps.now());
  if (!tokens.refresh_token) {
    deps.io.err('guard: warning: the identity provider issued no refresh token (request offline_access and allow the refresh_token grant); you will sign in again when the access token expires\n');
  }
  return { tokens, claims, started, displayName: await displayNameFor(config, claims, tokens.access_token) };
}
