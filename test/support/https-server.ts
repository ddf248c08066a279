/**
 * A real HTTPS server on 127.0.0.1 for the central policy: a private CA and
 * a server certificate made with the openssl CLI (trusted by guard through
 * NODE_EXTRA_CA_CERTS), serving a policy document with an ETag (honouring
 * If-None-Match with 304, RFC 7232) and a JWKS, and logging every request.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:https';
// @ts-expect-error: plain ESM helper shared with the benchmark
import { createTestCa as createCa } from '../../scripts/lib/test-ca.mjs';

export interface TestCa {
  dir: string;
  /** PEM of the CA: pass as NODE_EXTRA_CA_CERTS. */
  caFile: string;
  cert: string;
  key: string;
}

/** Makes a throwaway CA and a certificate for 127.0.0.1 signed by it (EC P-256, valid one day); shared with the benchmark. */
export const createTestCa: () => TestCa = createCa;

export interface RequestRecord {
  path: string;
  status: number;
  ifNoneMatch?: string;
}

export interface PolicyServer {
  port: number;
  /** https://127.0.0.1:PORT/policy.jws */
  url: string;
  /** https://127.0.0.1:PORT/jwks.json */
  jwksUrl: string;
  requests: RequestRecord[];
  /** Requests for the policy document so far. */
  policyRequests(): RequestRecord[];
  /** What /policy.jws serves from now on (its ETag is a hash of it). */
  setDocument(body: string): void;
  setJwks(jwks: unknown): void;
  /** From now on, accept requests and never answer them (status 0 in `requests`). */
  setHang(hang: boolean): void;
  /** Stop listening (connections refused), and start again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

function etagOf(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`;
}

export async function startPolicyServer(ca: TestCa): Promise<PolicyServer> {
  let document = '';
  let jwks = '{"keys":[]}';
  let hang = false;
  const requests: RequestRecord[] = [];
  let server: Server | undefined;
  let port = 0;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer({ cert: ca.cert, key: ca.key }, (req, res) => {
        const path = (req.url ?? '/').split('?')[0]!;
        const ifNoneMatch = req.headers['if-none-match'];
        const record = (status: number) => requests.push({ path, status, ...(ifNoneMatch ? { ifNoneMatch } : {}) });
        if (hang) return void record(0);
        if (path === '/policy.jws') {
          const etag = etagOf(document);
          if (ifNoneMatch === etag) {
            record(304);
            res.writeHead(304, { etag }).end();
            return;
          }
          record(200);
          res.writeHead(200, { 'content-type': 'application/jose', etag }).end(document);
        } else if (path === '/jwks.json') {
          record(200);
          res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(jwks);
        } else {
          record(404);
          res.writeHead(404).end('not found');
        }
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port;
        resolve();
      });
    });

  await listen();
  const base = `https://127.0.0.1:${port}`;
  return {
    port,
    url: `${base}/policy.jws`,
    jwksUrl: `${base}/jwks.json`,
    requests,
    policyRequests: () => requests.filter((r) => r.path === '/policy.jws'),
    setDocument: (body) => void (document = body),
    setJwks: (value) => void (jwks = JSON.stringify(value)),
    setHang: (value) => void (hang = value),
    stop: () =>
      new Promise<void>((resolve) => {
        if (!server) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
        server = undefined;
      }),
    start: listen,
  };
}
