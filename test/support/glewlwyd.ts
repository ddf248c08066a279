/**
 * Glewlwyd (Debian package `glewlwyd`, a C OpenID provider nobody here wrote)
 * as a second, independent IdP for the integration tests. Each start makes a
 * throw-away SQLite database and config in a temporary folder, runs
 * `glewlwyd` on 127.0.0.1 on a free port as the current user, and sets it up
 * through its own admin API, the way its admin pages do: scopes, an OIDC
 * plugin instance with the device grant (RFC 8628) and one-time-use (rotated)
 * refresh tokens, the public client `guard-cli`, and two users.
 *
 * Approval goes through its login API the way its login page does it: sign
 * in (`POST /api/auth/`), grant the scopes to the client
 * (`PUT /api/auth/grant/guard-cli`), then open the device URL with
 * `g_continue`, which redirects to `prompt=deviceComplete`.
 *
 * What it does differently from oidc-provider (and guard must handle):
 * - `sub` is an opaque random id; the ID token carries `name` and `email`.
 * - a refresh with a revoked or consumed refresh token answers HTTP 400 with
 *   an EMPTY body (no `invalid_grant` JSON); replaying a consumed token also
 *   disables the newest token of its chain;
 * - refresh responses carry no ID token;
 * - the revocation endpoint refuses a public client (401) unless it sends
 *   `Authorization: Bearer <access token>`;
 * - `max_age` / `prompt=login` are ignored by the device grant, and
 *   `auth_time` is the moment the device code was redeemed (the approval).
 *
 * @see https://github.com/babelouest/glewlwyd/blob/master/docs/OIDC.md
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.ts';

/** The Debian package's SQLite schema and initial data (admin user "admin" / "password"). */
const SCHEMA = '/usr/share/dbconfig-common/data/glewlwyd/install/sqlite3';
const MODULES = '/usr/lib/glewlwyd';
export const GLEWLWYD_CLIENT_ID = 'guard-cli';
const PLUGIN = 'oidc';
const SCOPES = ['openid', 'profile', 'email', 'offline_access'];

export interface GlewlwydUser {
  login: string;
  password: string;
  name: string;
  email: string;
}

export const GLEWLWYD_USERS: Record<'alice' | 'bob', GlewlwydUser> = {
  alice: { login: 'alice', password: 'alice-pw-not-secret', name: 'Alice Example', email: 'alice@example.test' },
  bob: { login: 'bob', password: 'bob-pw-not-secret', name: 'Bob Example', email: 'bob@example.test' },
};

export interface GlewlwydOptions {
  /** Access token lifetime (s); default 3600. */
  accessTtl?: number;
}

export interface Glewlwyd {
  issuer: string;
  clientId: string;
  /** `glewlwyd --version`, e.g. "2.7.5". */
  version: string;
  child: ChildProcess;
  /** Approves the device code in `url` (verification_uri_complete) as `login`, over its login API. */
  approve(url: string, options?: { login?: string }): Promise<void>;
  stop(): Promise<void>;
}

/** The installed Glewlwyd's version, or undefined when it is not installed. */
export function glewlwydVersion(): string | undefined {
  const result = spawnSync('glewlwyd', ['--version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) return undefined;
  return /\b(\d+\.\d+\.\d+)\b/.exec(`${result.stdout}${result.stderr}`)?.[1];
}

/** A cookie-keeping client for Glewlwyd's JSON APIs. */
function session(base: string) {
  const cookies = new Map<string, string>();
  return async (method: string, path: string, body?: unknown): Promise<Response> => {
    const headers: Record<string, string> = {};
    if (cookies.size) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const eq = pair!.indexOf('=');
      cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
    return response;
  };
}

async function expectOk(response: Response, what: string): Promise<void> {
  if (response.status !== 200) throw new Error(`glewlwyd set-up: ${what} answered HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`);
}

function writeConfig(dir: string, port: number): string {
  const file = join(dir, 'glewlwyd.conf');
  writeFileSync(
    file,
    [
      `port=${port}`,
      'bind_address="127.0.0.1"',
      `external_url="http://127.0.0.1:${port}"`,
      'login_url="login.html"',
      'api_prefix="api"',
      'cookie_secure=0',
      'session_expiration=3600',
      'session_key="GLEWLWYD2_SESSION_ID"',
      'admin_session_authentication="cookie"',
      'profile_session_authentication="cookie"',
      'allow_multiple_user_per_session=true',
      'login_api_enabled=true',
      'admin_scope="g_admin"',
      'profile_scope="g_profile"',
      `user_module_path="${MODULES}/user"`,
      `client_module_path="${MODULES}/client"`,
      `user_auth_scheme_module_path="${MODULES}/scheme"`,
      `plugin_module_path="${MODULES}/plugin"`,
      // (No use_secure_connection at all: even "=false" makes it look for certificates.)
      'hash_algorithm="SHA512"',
      `database = { type = "sqlite3"; path = "${join(dir, 'glewlwyd.db')}"; };`,
      '',
    ].join('\n'),
  );
  return file;
}

/** Starts glewlwyd on `port`; resolves once it says it listens, rejects if it exits first. */
function launch(configFile: string): Promise<{ child: ChildProcess; log: () => string }> {
  const child = spawn('glewlwyd', ['--config-file', configFile, '--log-mode', 'console', '--log-level', 'INFO'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      log += chunk;
      if (/Glewlwyd started on port/.test(log)) resolve({ child, log: () => log });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`glewlwyd exited (${code}): ${log.slice(-2000)}`)));
  });
}

export async function startGlewlwyd(options: GlewlwydOptions = {}): Promise<Glewlwyd> {
  const version = glewlwydVersion();
  if (!version) throw new Error('glewlwyd is not installed: apt-get install glewlwyd (see .ci/run)');
  const dir = mkdtempSync(join(tmpdir(), 'guard-glewlwyd-'));
  execFileSync('sqlite3', [join(dir, 'glewlwyd.db')], { input: readFileSync(SCHEMA), stdio: ['pipe', 'ignore', 'pipe'] });

  let started: { child: ChildProcess; log: () => string } | undefined;
  let port = 0;
  for (let attempt = 0; !started; attempt++) {
    port = await freePort();
    try {
      started = await launch(writeConfig(dir, port));
    } catch (error) {
      if (attempt >= 2) throw error; // (the free port may have been taken in between)
    }
  }
  const { child } = started;
  const base = `http://127.0.0.1:${port}/api`;
  const issuer = `${base}/${PLUGIN}`;
  try {
    // It logs "started" just before it listens: wait for the socket.
    for (let attempt = 0; ; attempt++) {
      try {
        await (await fetch(`${base}/auth/`)).arrayBuffer();
        break;
      } catch (error) {
        if (attempt >= 100 || child.exitCode !== null) throw new Error(`glewlwyd does not listen on ${port}: ${started.log().slice(-2000)}`, { cause: error });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }

    const admin = session(base);
    await expectOk(await admin('POST', '/auth/', { username: 'admin', password: 'password' }), 'admin sign-in');
    for (const scope of SCOPES.filter((s) => s !== 'openid')) {
      await expectOk(await admin('POST', '/scope/', { name: scope, display_name: scope, description: scope, password_required: false, scheme: {} }), `scope ${scope}`);
    }
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await expectOk(
      await admin('POST', '/mod/plugin/', {
        module: 'oidc',
        name: PLUGIN,
        display_name: 'OpenID Connect for guard tests',
        enabled: true,
        parameters: {
          iss: issuer,
          'jwt-type': 'ecdsa',
          'jwt-key-size': '256',
          key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
          cert: publicKey.export({ type: 'spki', format: 'pem' }),
          'access-token-duration': options.accessTtl ?? 3600,
          'refresh-token-duration': 14 * 24 * 3600,
          'code-duration': 600,
          'refresh-token-rolling': true,
          'refresh-token-one-use': 'always',
          'allow-non-oidc': false,
          'auth-type-code-enabled': false,
          'auth-type-token-enabled': false,
          'auth-type-id-token-enabled': true,
          'auth-type-password-enabled': false,
          'auth-type-client-enabled': false,
          'auth-type-refresh-enabled': true,
          'auth-type-device-enabled': true,
          'device-authorization-expiration': 600,
          'device-authorization-interval': 1,
          'subject-type': 'public',
          scope: [],
          claims: [],
          'name-claim': 'mandatory',
          'email-claim': 'mandatory',
          'scope-claim': 'no',
          'address-claim': { type: 'no' },
          // RFC 7009 revocation, open to a bearer of an access token with "openid" only.
          'introspection-revocation-allowed': true,
          'introspection-revocation-auth-scope': ['openid'],
          'introspection-revocation-allow-target-client': false,
          'pkce-allowed': false,
          'request-parameter-allow': false,
          'register-client-allowed': false,
          'session-management-allowed': false,
          'oauth-dpop-allowed': false,
        },
      }),
      'OIDC plugin',
    );
    await expectOk(
      await admin('POST', '/client/', {
        client_id: GLEWLWYD_CLIENT_ID,
        name: 'guard',
        confidential: false,
        enabled: true,
        authorization_type: ['device_authorization', 'refresh_token'],
        redirect_uri: [],
      }),
      'client',
    );
    for (const user of Object.values(GLEWLWYD_USERS)) {
      await expectOk(
        await admin('POST', '/user/', { username: user.login, password: user.password, name: user.name, email: user.email, enabled: true, scope: SCOPES }),
        `user ${user.login}`,
      );
    }
  } catch (error) {
    child.kill(); // a half-set-up IdP must not outlive the test
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    issuer,
    clientId: GLEWLWYD_CLIENT_ID,
    version,
    child,
    async approve(url, approveOptions = {}) {
      const user = GLEWLWYD_USERS[(approveOptions.login ?? 'alice') as keyof typeof GLEWLWYD_USERS];
      if (!user) throw new Error(`glewlwyd: no test user ${approveOptions.login}`);
      const target = new URL(url);
      if (!target.searchParams.get('code')) throw new Error(`glewlwyd: no user code in ${url}`);
      const browser = session(base);
      await expectOk(await browser('POST', '/auth/', { username: user.login, password: user.password }), `sign-in of ${user.login}`);
      await expectOk(await browser('PUT', `/auth/grant/${GLEWLWYD_CLIENT_ID}`, { scope: SCOPES.join(' ') }), 'scope grant');
      target.searchParams.set('g_continue', '');
      const response = await browser('GET', `${target.pathname.replace(/^\/api/, '')}${target.search}`);
      const location = response.headers.get('location') ?? '';
      if (response.status !== 302 || !/prompt=deviceComplete/.test(location)) {
        throw new Error(`glewlwyd: the device code was not approved (HTTP ${response.status}, ${location})`);
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
      }),
  };
}
