/**
 * The real identity providers the suite runs guard against, behind one
 * shape: oidc-provider (node, scripts/dev-idp.mjs) and Glewlwyd (C, Debian
 * package). Each starts on 127.0.0.1, approves device codes over HTTP the
 * way its own pages do, and is checked from outside through the endpoints its
 * discovery document names.
 */
import { readFileSync } from 'node:fs';
import { startIdp } from './idp.ts';
import { startGlewlwyd } from './glewlwyd.ts';
import { collect, startGuard, type GuardResult } from './guard.ts';
// @ts-expect-error: plain ESM helper shared with the demo and the benchmark
import { approveDevice } from '../../scripts/lib/approve.mjs';

export interface RunningProvider {
  name: string;
  version: string;
  issuer: string;
  clientId: string;
  /** Approves the device code behind the URL guard printed, as this test user. */
  approve(url: string, options?: { login?: string }): Promise<void>;
  /** What guard should show for the test user "alice" (preferred_username, email or name). */
  aliceName: string;
  /** Does this IdP give "alice" an opaque subject (not her login name)? */
  opaqueSubject: boolean;
  stop(): Promise<void>;
}

export interface ProviderFactory {
  name: string;
  start(): Promise<RunningProvider>;
}

const packageVersion = (name: string): string =>
  (JSON.parse(readFileSync(new URL(`../../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;

export const PROVIDERS: ProviderFactory[] = [
  {
    name: 'oidc-provider',
    async start() {
      const idp = await startIdp();
      return {
        name: 'oidc-provider',
        version: packageVersion('oidc-provider'),
        issuer: idp.issuer,
        clientId: idp.clientId,
        approve: async (url, options = {}) => void (await approveDevice(url, { login: options.login ?? 'alice' })),
        aliceName: 'alice@example.test', // its ID token's "email" (sub and name are the login name)
        opaqueSubject: false,
        stop: () => idp.stop(),
      };
    },
  },
  {
    name: 'glewlwyd',
    async start() {
      const idp = await startGlewlwyd();
      return {
        name: 'glewlwyd',
        version: idp.version,
        issuer: idp.issuer,
        clientId: idp.clientId,
        approve: (url, options) => idp.approve(url, options),
        aliceName: 'alice@example.test', // its ID token has "email" and "name", no preferred_username
        opaqueSubject: true,
        stop: () => idp.stop(),
      };
    },
  },
];

/** The verification URL guard printed on its own line (SPEC §3). */
export function printedUrl(stderr: string): string | undefined {
  return /^https?:\/\/\S+$/m.exec(stderr)?.[0];
}

/** Runs guard, approves the device code it prints at `provider`, and returns its result. */
export async function runApproved(provider: RunningProvider, args: string[], env: NodeJS.ProcessEnv, options: { login?: string } = {}): Promise<GuardResult> {
  const child = startGuard(args, env);
  let approval: Promise<void> | undefined;
  const result = await collect(child, (stderr) => {
    const url = approval ? undefined : printedUrl(stderr);
    if (url) {
      approval = provider.approve(url, options).catch((error: unknown) => {
        child.kill(); // do not wait for the device code to expire
        throw error;
      });
      approval.catch(() => undefined); // rethrown below, once guard has exited
    }
  });
  await approval;
  return result;
}

interface Discovery {
  token_endpoint: string;
  userinfo_endpoint: string;
  revocation_endpoint: string;
}

async function discover(issuer: string): Promise<Discovery> {
  return (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Discovery;
}

/** Does the IdP still accept this refresh token? (Uses it up when it does.) */
export async function refreshAccepted(provider: RunningProvider, refreshToken: string): Promise<boolean> {
  const { token_endpoint } = await discover(provider.issuer);
  const response = await fetch(token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: provider.clientId }),
  });
  await response.arrayBuffer();
  return response.status === 200;
}

/** Is this access token accepted at the IdP's userinfo endpoint? */
export async function userinfoOk(provider: RunningProvider, accessToken: string): Promise<boolean> {
  const { userinfo_endpoint } = await discover(provider.issuer);
  const response = await fetch(userinfo_endpoint, { headers: { authorization: `Bearer ${accessToken}` } });
  await response.arrayBuffer();
  return response.status === 200;
}

/** Revokes a refresh token behind guard's back (with the access token as bearer where the IdP wants one). */
export async function revokeAtIdp(provider: RunningProvider, tokens: { refresh_token?: string; access_token: string }): Promise<void> {
  const { revocation_endpoint } = await discover(provider.issuer);
  const body = new URLSearchParams({ token: tokens.refresh_token!, token_type_hint: 'refresh_token', client_id: provider.clientId });
  const send = (headers: Record<string, string>) =>
    fetch(revocation_endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
  let response = await send({});
  if (response.status === 401) response = await send({ authorization: `Bearer ${tokens.access_token}` });
  if (response.status !== 200) throw new Error(`revocation at ${provider.name} answered HTTP ${response.status}`);
}
