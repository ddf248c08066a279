// A small Kubernetes API endpoint over HTTPS for the tests and the
// benchmark: enough of /version, /api, /apis, /api/v1 and a pod list for
// `kubectl get pods` and `kubectl get --raw`. Every request must carry a
// bearer token that is either the static token it was given or an ID token
// (JWT) the IdP signed (checked against its JWKS: signature, issuer,
// audience, expiry), like the API server's OIDC authenticator. `audience:
// 'self'` makes it accept only tokens issued for its own URL (an RFC 8707
// resource, like an AuthenticationConfiguration's `audiences`); without an
// issuer only the static token is accepted. Pods are listed in any
// namespace, and a watch ends at once (the targets oracle runs `get -w`).
// `echoToken: true` accepts any bearer token and names the listed pod after
// it, so a test sees which kubeconfig user (so which context) kubectl used.
import { createServer } from 'node:https';
import { createRemoteJWKSet, jwtVerify } from 'jose';

/**
 * @param {{ cert: string, key: string, issuer?: string | (() => string), audience?: string, staticToken?: string, echoToken?: boolean }} options
 *   issuer: a function when the IdP starts after this server (its resources are this server's URL)
 */
export async function startKubeApi(options) {
  const issuerOf = () => (typeof options.issuer === 'function' ? options.issuer() : options.issuer);
  let jwks;
  /** @type {Array<{ path: string, status: number, sub?: string, token?: string, why?: string }>} */
  const requests = [];
  const json = (res, status, body) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const server = createServer({ cert: options.cert, key: options.key }, async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    let sub;
    let why;
    if (!token) why = 'no bearer token';
    else if (options.echoToken || (options.staticToken !== undefined && token === options.staticToken)) sub = 'static';
    else if (!issuerOf()) why = 'not the static token';
    else {
      jwks ??= createRemoteJWKSet(new URL(`${issuerOf()}/jwks`));
      try {
        const audience = options.audience === 'self' ? `https://127.0.0.1:${server.address().port}` : options.audience;
        const { payload } = await jwtVerify(token, jwks, { issuer: issuerOf(), audience });
        sub = payload.sub;
      } catch (error) {
        why = error.code ?? error.message;
      }
    }
    if (!sub) {
      requests.push({ path, status: 401, why, token });
      json(res, 401, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
      return;
    }
    const route = ROUTES[path] ?? (/^\/api\/v1\/(namespaces\/[^/]+\/)?pods$/.test(path) ? ROUTES.pods : undefined);
    requests.push({ path, status: route ? 200 : 404, sub, token });
    if (route && /[?&]watch=(true|1)/.test(req.url ?? '')) res.writeHead(200, { 'content-type': 'application/json' }).end();
    else if (route) json(res, 200, route(server.address().port, path, options.echoToken ? token : undefined));
    else json(res, 404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'not found', reason: 'NotFound', code: 404 });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${server.address().port}`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

const ROUTES = {
  '/version': () => ({ major: '1', minor: '32', gitVersion: 'v1.32.0', platform: 'linux/amd64' }),
  '/api': (port) => ({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${port}` }] }),
  '/apis': () => ({ kind: 'APIGroupList', apiVersion: 'v1', groups: [] }),
  '/api/v1': () => ({
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [{ name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'], shortNames: ['po'] }],
  }),
  pods: (_port, path, name = 'api-7f9') => ({
    kind: 'PodList',
    apiVersion: 'v1',
    metadata: { resourceVersion: '1' },
    items: [{ kind: 'Pod', apiVersion: 'v1', metadata: { name, namespace: /namespaces\/([^/]+)/.exec(path)?.[1] ?? 'default', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { containers: [{ name: 'api', image: 'api:1' }] }, status: { phase: 'Running' } }],
  }),
};
