// A real OpenID provider (oidc-provider) on 127.0.0.1 for the demo, the
// tests and the benchmark: a public client with the device grant, refresh
// rotation, revocation, introspection and auth_time (see shared/RECIPES.md).
import Provider, { errors, interactionPolicy } from 'oidc-provider';
import http from 'node:http';

/**
 * @param {object} [options]
 * @param {number} [options.port] 0 = any free port
 * @param {number} [options.accessTtl] access token lifetime, seconds
 * @param {number} [options.deviceTtl] device code lifetime, seconds
 * @param {boolean} [options.ignoreReauth] ignore max_age (an IdP that ignores step-up requests)
 * @param {string[]} [options.resources] RFC 8707 resource servers (JWT access tokens)
 * @param {string} [options.clientId]
 * @param {boolean} [options.ciba] CIBA in poll mode (SPEC §11), with a test-only control endpoint (see cibaControl)
 * @param {number} [options.cibaTtl] backchannel request lifetime, seconds
 * @param {object} [options.cibaClientJwk] a public JWK: adds the client `guard-approval-jwt` (private_key_jwt)
 */
export async function startIdp(options = {}) {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const clientId = options.clientId ?? 'guard-cli';
  const resources = options.resources ?? [];

  const policy = interactionPolicy.base();
  if (options.ignoreReauth) policy.get('login').checks.remove('max_age');

  const ciba = options.ciba ? cibaControl(options) : undefined;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        token_endpoint_auth_method: 'none',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token', ...(ciba ? [CIBA_GRANT] : [])],
        response_types: [],
        redirect_uris: [],
        require_auth_time: true,
        ...(ciba ? { backchannel_token_delivery_mode: 'poll' } : {}),
      },
      ...(ciba ? [ciba.confidentialClient] : []),
      ...(ciba && options.cibaClientJwk ? [{ ...ciba.confidentialClient, client_id: 'guard-approval-jwt', client_secret: undefined, token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: options.cibaClientJwk.alg, jwks: { keys: [options.cibaClientJwk] } }] : []),
    ],
    features: {
      deviceFlow: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      devInteractions: { enabled: true },
      ...(ciba ? { ciba: ciba.feature } : {}),
      resourceIndicators: {
        enabled: resources.length > 0,
        defaultResource: () => undefined,
        useGrantedResource: () => false,
        getResourceServerInfo: (_ctx, resource) => {
          if (!resources.includes(resource)) throw new Error('unknown resource');
          return { scope: 'api:read api:write', audience: resource, accessTokenFormat: 'jwt', accessTokenTTL: options.accessTtl ?? 600, jwt: { sign: { alg: 'RS256' } } };
        },
      },
    },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'guard', 'api:read', 'api:write'],
    claims: { openid: ['sub'], profile: ['name'], email: ['email'], guard: ['guard_idle', 'guard_max_session'] },
    // Scope claims go into the ID token too (guard reads IdP-driven limits from it).
    conformIdTokenClaims: false,
    interactions: { policy },
    cookies: { keys: ['guard-dev-idp-cookie-key-not-secret'] },
    rotateRefreshToken: true,
    ttl: {
      AccessToken: options.accessTtl ?? 600,
      DeviceCode: options.deviceTtl ?? 600,
      IdToken: 3600,
      RefreshToken: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
      Session: 14 * 24 * 3600,
      Interaction: 3600,
      ...(options.cibaTtl ? { BackchannelAuthenticationRequest: options.cibaTtl } : {}),
    },
    // A login name like "alice+idle=2s+max=1h" gets IdP-driven limits (guard_idle, guard_max_session).
    findAccount: (_ctx, id) => ({
      accountId: id,
      claims: () => ({
        sub: id,
        name: id,
        email: `${id.split('+')[0]}@example.test`,
        ...(/\+idle=(\w+)/.test(id) ? { guard_idle: /\+idle=(\w+)/.exec(id)[1] } : {}),
        ...(/\+max=(\w+)/.test(id) ? { guard_max_session: /\+max=(\w+)/.exec(id)[1] } : {}),
      }),
    }),
    // Keep the development notices out of the way of tests that read stdout.
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!DOCTYPE html><p>${out.error}: ${out.error_description ?? ''}</p>`;
    },
  });
  if (ciba) provider.use(ciba.middleware(provider));
  provider.on('server_error', (_ctx, error) => process.stderr.write(`idp: server_error ${error.message}\n`));
  server.on('request', provider.callback());
  return {
    issuer,
    clientId,
    provider,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';

/**
 * CIBA for tests: the IdP keeps each backchannel request, and a test-only
 * control endpoint plays the person's phone through the provider's own
 * backchannelResult:
 *   GET  /__test/ciba                          the requests seen, oldest first
 *   POST /__test/ciba/ID?action=approve|deny[&auth_time=S]
 *   POST /__test/ciba-slow-down?count=N        answer the next N pending polls with slow_down
 *   GET  /__test/ciba-polls                    when each CIBA token request came (ms)
 * Also a confidential client `guard-approval` (secret `guard-approval-secret`, client_secret_post).
 */
function cibaControl() {
  const requests = [];
  const polls = [];
  let slowDowns = 0;
  return {
    confidentialClient: {
      client_id: 'guard-approval',
      client_secret: 'guard-approval-secret',
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: [CIBA_GRANT, 'refresh_token'],
      response_types: [],
      redirect_uris: [],
      require_auth_time: true,
      backchannel_token_delivery_mode: 'poll',
    },
    feature: {
      enabled: true,
      deliveryModes: ['poll'],
      // login_hint: an email (alice@example.test → alice) or the account id itself.
      processLoginHint: (_ctx, hint) => hint.split('@')[0],
      validateRequestContext: () => undefined,
      verifyUserCode: () => undefined,
      triggerAuthenticationDevice: (_ctx, request, account, client) => {
        const p = request.params ?? {};
        requests.push({ id: request.jti, account: account.accountId, client_id: client.clientId, binding_message: p.binding_message ?? null, login_hint: p.login_hint ?? null, scope: request.scope, max_age: p.max_age ?? null, request, answered: false });
      },
    },
    middleware: (provider) => async (ctx, next) => {
      const json = (status, body) => {
        ctx.status = status;
        ctx.type = 'json';
        ctx.body = JSON.stringify(body);
      };
      if (ctx.path === '/__test/ciba' && ctx.method === 'GET') return json(200, requests.map(({ request, ...r }) => r));
      if (ctx.path === '/__test/ciba-polls' && ctx.method === 'GET') return json(200, polls);
      if (ctx.path === '/__test/ciba-slow-down' && ctx.method === 'POST') {
        slowDowns = Number(ctx.query.count ?? 1);
        return json(200, { slowDowns });
      }
      const answer = /^\/__test\/ciba\/([^/]+)$/.exec(ctx.path);
      if (answer && ctx.method === 'POST') {
        const entry = requests.find((r) => r.id === answer[1]);
        if (!entry) return json(404, { error: 'no such request' });
        entry.answered = true;
        if (ctx.query.action === 'deny') {
          await provider.backchannelResult(entry.request, new errors.AccessDenied());
          return json(200, { denied: true });
        }
        const grant = new provider.Grant({ accountId: entry.account, clientId: entry.client_id });
        grant.addOIDCScope(entry.scope);
        await grant.save();
        const authTime = ctx.query.auth_time ? Number(ctx.query.auth_time) : Math.floor(Date.now() / 1000);
        await provider.backchannelResult(entry.request, grant, { authTime });
        return json(200, { approved: true, account: entry.account });
      }
      await next();
      if (ctx.path === '/token' && ctx.oidc?.params?.grant_type === CIBA_GRANT) {
        polls.push(Date.now());
        const body = typeof ctx.body === 'string' ? JSON.parse(ctx.body) : ctx.body;
        if (slowDowns > 0 && ctx.status === 400 && body?.error === 'authorization_pending') {
          slowDowns -= 1;
          ctx.body = { error: 'slow_down', error_description: 'you are polling too quickly' };
        }
      }
    },
  };
}
