/** Starts the real oidc-provider (scripts/dev-idp.mjs) as a child process on 127.0.0.1. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface IdpOptions {
  accessTtl?: number;
  deviceTtl?: number;
  ignoreReauth?: boolean;
  resources?: string[];
  port?: number;
  /** CIBA in poll mode with a test-only control endpoint (scripts/lib/idp.mjs, cibaControl). */
  ciba?: boolean;
  /** Backchannel request lifetime, seconds. */
  cibaTtl?: number;
  /** A public JWK: the IdP adds the client `guard-approval-jwt` authenticating with private_key_jwt. */
  cibaClientJwk?: object;
}

export interface Idp {
  issuer: string;
  clientId: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL('../../scripts/dev-idp.mjs', import.meta.url));

export async function startIdp(options: IdpOptions = {}): Promise<Idp> {
  const args = [SCRIPT];
  if (options.port !== undefined) args.push('--port', String(options.port));
  if (options.accessTtl !== undefined) args.push('--access-ttl', String(options.accessTtl));
  if (options.deviceTtl !== undefined) args.push('--device-ttl', String(options.deviceTtl));
  if (options.ignoreReauth) args.push('--ignore-reauth');
  for (const resource of options.resources ?? []) args.push('--resource', resource);
  if (options.ciba) args.push('--ciba');
  if (options.cibaTtl !== undefined) args.push('--ciba-ttl', String(options.cibaTtl));
  if (options.cibaClientJwk) args.push('--ciba-client-jwk', JSON.stringify(options.cibaClientJwk));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const ready = await new Promise<{ issuer: string; client_id: string }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const match = /GUARD_IDP_READY (\{.*\})/.exec(out);
      if (match) resolve(JSON.parse(match[1]!));
    });
    child.once('exit', (code) => reject(new Error(`dev IdP exited (${code}): ${stderr}`)));
  });
  child.stdout!.resume();
  return {
    issuer: ready.issuer,
    clientId: ready.client_id,
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
