// A real OpenID provider (oidc-provider) on 127.0.0.1 for the demo, the
// tests and the benchmark: a public client with the device grant, refresh
// rotation, revocation, introspection and auth_time (see shared/RECIPES.md).
import Provider, { interactionPolicy } from 'oidc-provider';
import http from 'node:http';

/**
 * @param {object} [options]
 * @param {number} [options.port] 0 = any free port
 * @param {number} [options.accessTtl] access token lifetime, seconds
 * @param {number} [options.deviceTtl] device code lifetime, seconds
 * @param {boolean} [options.ignoreReauth] ignore max_age (an IdP that ignores step-up requests)
 * @param {string[]} [options.resources] RFC 8707 resource servers (JWT access tokens)
 * @param {string} [options.clientId]
 */
export async function startIdp(options = {}) {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const clientId = options.clientId ?? 'guard-cli';
  const resources = options.resources ?? [];

  const policy = interactionPolicy.base();
  if (options.ignoreReauth) policy.get('login').checks.remove('max_age');

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        token_endpoint_auth_method: 'none',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
        response_types: [],
        redirect_uris: [],
        require_auth_time: true,
      },
    ],
    features: {
      deviceFlow: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      devInteractions: { enabled: true },
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
  provider.on('server_error', (_ctx, error) => process.stderr.write(`idp: server_error ${error.message}\n`));
  server.on('request', provider.callback());
  return {
    issuer,
    clientId,
    provider,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}
