/**
 * A small, deliberately misbehaving OpenID provider on 127.0.0.1 for fault
 * tests. Each endpoint (discovery, jwks, device, token, revoke, userinfo) has a
 * replaceable handler; the defaults behave like a healthy IdP that approves
 * every device code at once and rotates refresh tokens. ID tokens are signed
 * with a key the test controls (jose), so a test can forge bad signatures,
 * wrong audiences, expired tokens or a JWKS that publishes another key.
 *
 * Every token it issues is remembered in `issued`, for secret-hygiene scans.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

export type Endpoint = 'discovery' | 'jwks' | 'device' | 'token' | 'revoke' | 'userinfo';

export interface RecordedRequest {
  endpoint: Endpoint;
  /** ms since epoch, when the request arrived */
  at: number;
  form: URLSearchParams;
  headers: IncomingHttpHeaders;
}

export interface Exchange {
  request: RecordedRequest;
  json(status: number, body: unknown, headers?: Record<string, string>): void;
  html(status: number, body?: string): void;
  /** A status with no body at all (Content-Length: 0), as Glewlwyd answers a dead refresh token. */
  empty(status: number): void;
  /** Never answer (the client's timeout must fire). */
  hang(): void;
}

export type Handler = (exchange: Exchange) => void | Promise<void>;

/** An endpoint that accepts and never answers; `FakeIdp.hanging()` tells whether one is set. */
export const hang: Handler = (x) => x.hang();

export interface IdTokenOptions {
  claims?: Record<string, unknown>;
  /**
   * 'good' (default), 'other-key' (another key under the published kid), 'unknown-kid' (another key
   * under a kid the JWKS does not publish), 'tampered' (a flipped signature), 'none' (alg none).
   */
  sign?: 'good' | 'other-key' | 'unknown-kid' | 'tampered' | 'none';
}

export interface FakeIdp {
  issuer: string;
  port: number;
  requests: RecordedRequest[];
  /** Every access, refresh and ID token it issued. */
  issued: Set<string>;
  /** Refresh tokens it still accepts (rotation consumes them). */
  liveRefreshTokens: Set<string>;
  /** Replace one endpoint's behaviour; `reset()` restores the healthy defaults. */
  set(endpoint: Endpoint, handler: Handler): void;
  reset(): void;
  /** Is some endpoint set to `hang` (so a test may use a short client timeout)? */
  hanging(): boolean;
  /** A signed ID token for this IdP and client, with overrides. */
  idToken(options?: IdTokenOptions): Promise<string>;
  /** A complete, healthy token response (what the default token handler sends). */
  tokenResponse(options?: IdTokenOptions & { expiresIn?: number }): Promise<Record<string, unknown>>;
  /** The JWKS publishes a different key under the same kid. */
  publishWrongKey(wrong: boolean): void;
  /** Tell the default token handler how long access tokens live (s). */
  accessTtl: number;
  /** `auth_time` the default handler puts in ID tokens (s since epoch); default: now. */
  authTime?: number;
  stop(): Promise<void>;
}

export const FAKE_CLIENT_ID = 'guard-cli';
const KID = 'fake-1';

const opaque = (prefix: string) => `${prefix}-${randomBytes(18).toString('base64url')}`;

export async function startFakeIdp(options: { port?: number; subject?: string } = {}): Promise<FakeIdp> {
  const good = await generateKeyPair('ES256', { extractable: true });
  const other = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = (jwk: JWK): JWK => ({ ...jwk, kid: KID, alg: 'ES256', use: 'sig' });
  const goodJwk = publicJwk(await exportJWK(good.publicKey));
  const otherJwk = publicJwk(await exportJWK(other.publicKey));
  let wrongKey = false;

  const sockets = new Set<Socket>();
  const server = createServer();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;
  const subject = options.subject ?? 'alice';

  const idp: FakeIdp = {
    issuer,
    port,
    requests: [],
    issued: new Set(),
    liveRefreshTokens: new Set(),
    accessTtl: 600,
    set(endpoint, handler) {
      handlers.set(endpoint, handler);
    },
    reset() {
      handlers.clear();
      wrongKey = false;
    },
    hanging() {
      return [...handlers.values()].includes(hang);
    },
    publishWrongKey(wrong) {
      wrongKey = wrong;
    },
    async idToken(options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: issuer, aud: FAKE_CLIENT_ID, sub: subject, iat: now, exp: now + 3600, auth_time: idp.authTime ?? now, ...options.claims };
      const sign = options.sign ?? 'good';
      let token: string;
      if (sign === 'none') {
        const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
        token = `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
      } else {
        const kid = sign === 'unknown-kid' ? `${KID}-unpublished` : KID;
        token = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' }).sign(sign === 'other-key' || sign === 'unknown-kid' ? other.privateKey : good.privateKey);
        if (sign === 'tampered') {
          const [header, payload, signature] = token.split('.') as [string, string, string];
          const bytes = Buffer.from(signature, 'base64url');
          bytes[0] = bytes[0]! ^ 0xff;
          token = `${header}.${payload}.${bytes.toString('base64url')}`;
        }
      }
      idp.issued.add(token);
      return token;
    },
    async tokenResponse(options = {}) {
      const access = opaque('at');
      const refresh = opaque('rt');
      idp.issued.add(access);
      idp.issued.add(refresh);
      idp.liveRefreshTokens.add(refresh);
      return {
        access_token: access,
        refresh_token: refresh,
        id_token: await idp.idToken(options),
        token_type: 'Bearer',
        expires_in: options.expiresIn ?? idp.accessTtl,
        scope: 'openid profile offline_access',
      };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };

  const defaults: Record<Endpoint, Handler> = {
    discovery: (x) =>
      x.json(200, {
        issuer,
        jwks_uri: `${issuer}/jwks`,
        device_authorization_endpoint: `${issuer}/device/auth`,
        token_endpoint: `${issuer}/token`,
        revocation_endpoint: `${issuer}/revoke`,
        userinfo_endpoint: `${issuer}/userinfo`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['ES256'],
        grant_types_supported: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
        token_endpoint_auth_methods_supported: ['none'],
      }),
    jwks: (x) => x.json(200, { keys: [wrongKey ? otherJwk : goodJwk] }),
    device: (x) =>
      x.json(200, {
        device_code: opaque('dc'),
        user_code: 'WDJB-MJHT',
        verification_uri: `${issuer}/device`,
        verification_uri_complete: `${issuer}/device?user_code=WDJB-MJHT`,
        expires_in: 600,
      }),
    token: async (x) => {
      const grant = x.request.form.get('grant_type');
      if (grant === 'refresh_token') {
        const presented = x.request.form.get('refresh_token') ?? '';
        if (!idp.liveRefreshTokens.delete(presented)) return x.json(400, { error: 'invalid_grant', error_description: 'grant request is invalid' });
      }
      x.json(200, await idp.tokenResponse());
    },
    revoke: (x) => {
      idp.liveRefreshTokens.delete(x.request.form.get('token') ?? '');
      x.json(200, {});
    },
    userinfo: (x) => x.json(200, { sub: subject }),
  };
  const handlers = new Map<Endpoint, Handler>();

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', issuer).pathname;
      const endpoint = routeOf(path);
      if (!endpoint) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      const request: RecordedRequest = { endpoint, at: Date.now(), form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')), headers: req.headers };
      idp.requests.push(request);
      const exchange: Exchange = {
        request,
        json: (status, body, headers = {}) => void res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body)),
        html: (status, body = '<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>') => void res.writeHead(status, { 'content-type': 'text/html' }).end(body),
        empty: (status) => void res.writeHead(status, { 'content-length': '0' }).end(),
        hang: () => undefined,
      };
      Promise.resolve((handlers.get(endpoint) ?? defaults[endpoint])(exchange)).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      });
    });
  });
  return idp;
}

function routeOf(path: string): Endpoint | undefined {
  switch (path) {
    case '/.well-known/openid-configuration': return 'discovery';
    case '/jwks': return 'jwks';
    case '/device/auth': return 'device';
    case '/token': return 'token';
    case '/revoke': return 'revoke';
    case '/userinfo': return 'userinfo';
    default: return undefined;
  }
}
