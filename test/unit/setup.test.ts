/**
 * The pure parts of `guard init` and `guard doctor`: what a discovery
 * document says about an IdP, the config proposed for each set of tools
 * (always valid, and its rules match what they claim), and how doctor's
 * checks run (order kept, timeouts and throws become failures of their
 * class, the first failure picks the exit code).
 */
import { describe, expect, it } from 'vitest';
import { assessDiscovery, blockingFinding, DEVICE_GRANT, discoveryUrl, issuerAsNamed, offersOfflineAccess } from '../../src/setup/discovery.ts';
import { KNOWN_TOOLS, renderConfig, type KnownTool } from '../../src/setup/propose-config.ts';
import { parseLayer } from '../../src/policy/parse-layer.ts';
import { mergeLayers } from '../../src/policy/merge.ts';
import { matchRules } from '../../src/policy/resolve.ts';
import { ruleWarnings } from '../../src/policy/rule-warnings.ts';
import { doctorExitCode, runChecks, type Check } from '../../src/doctor/check.ts';

const ISSUER = 'https://idp.example.com/realms/eng';
const healthy = {
  issuer: ISSUER,
  device_authorization_endpoint: `${ISSUER}/device`,
  token_endpoint: `${ISSUER}/token`,
  revocation_endpoint: `${ISSUER}/revoke`,
  grant_types_supported: [DEVICE_GRANT, 'refresh_token'],
  scopes_supported: ['openid', 'offline_access'],
  claims_supported: ['sub', 'auth_time'],
  token_endpoint_auth_methods_supported: ['none'],
};
const statusOf = (metadata: Record<string, unknown>, id: string) => assessDiscovery(ISSUER, metadata).find((f) => f.id === id)?.status;

describe('assessDiscovery', () => {
  it.each([
    ['a healthy IdP', healthy, 'issuer', 'pass'],
    ['another issuer', { ...healthy, issuer: 'https://evil.example.com' }, 'issuer', 'fail'],
    ['an issuer differing by a trailing slash', { ...healthy, issuer: `${ISSUER}/` }, 'issuer', 'fail'],
    ['no issuer at all', { ...healthy, issuer: undefined }, 'issuer', 'fail'],
    ['no device endpoint', { ...healthy, device_authorization_endpoint: undefined }, 'device_grant', 'fail'],
    ['the device grant not among the grants', { ...healthy, grant_types_supported: ['authorization_code', 'refresh_token'] }, 'device_grant', 'fail'],
    ['a device endpoint, grants not listed', { ...healthy, grant_types_supported: undefined }, 'device_grant', 'pass'],
    ['no refresh_token grant', { ...healthy, grant_types_supported: [DEVICE_GRANT] }, 'refresh_tokens', 'warn'],
    ['no offline_access scope', { ...healthy, scopes_supported: ['openid'] }, 'refresh_tokens', 'warn'],
    ['nothing advertised about refresh', { ...healthy, grant_types_supported: undefined, scopes_supported: undefined }, 'refresh_tokens', 'unknown'],
    ['auth_time listed', healthy, 'auth_time', 'pass'],
    ['auth_time not listed (max_age still asks for it)', { ...healthy, claims_supported: ['sub'] }, 'auth_time', 'unknown'],
    ['no revocation endpoint', { ...healthy, revocation_endpoint: undefined }, 'revocation', 'warn'],
    ['only confidential clients', { ...healthy, token_endpoint_auth_methods_supported: ['client_secret_basic'] }, 'public_client', 'warn'],
    ['a CIBA endpoint', { ...healthy, backchannel_authentication_endpoint: `${ISSUER}/bc` }, 'ciba', 'info'],
  ])('%s', (_name, metadata, id, status) => {
    expect(statusOf(metadata as Record<string, unknown>, id)).toBe(status);
  });

  it('mentions SPEC §11 when the IdP offers CIBA', () => {
    expect(assessDiscovery(ISSUER, { ...healthy, backchannel_authentication_endpoint: `${ISSUER}/bc` }).find((f) => f.id === 'ciba')!.text).toContain('SPEC §11');
  });

  it('blocks on another issuer or no device grant, and only then', () => {
    expect(blockingFinding(ISSUER, assessDiscovery(ISSUER, healthy))).toBeUndefined();
    expect(blockingFinding(ISSUER, assessDiscovery(ISSUER, { ...healthy, revocation_endpoint: undefined, claims_supported: undefined }))).toBeUndefined();
    expect(blockingFinding(ISSUER, assessDiscovery(ISSUER, { ...healthy, device_authorization_endpoint: undefined }))?.code).toBe('idp');
  });

  it('escapes control characters an IdP puts in its issuer', () => {
    const text = assessDiscovery(ISSUER, { ...healthy, issuer: 'https://x\u001b]0;pwned\u0007' }).find((f) => f.id === 'issuer')!.text;
    expect(text).not.toMatch(/[\u0000-\u001f]/);
  });

  it('builds the discovery URL like OIDC Discovery §4 and reads offline_access', () => {
    expect(discoveryUrl(`${ISSUER}/`)).toBe(`${ISSUER}/.well-known/openid-configuration`);
    expect(offersOfflineAccess(healthy)).toBe(true);
    expect(offersOfflineAccess({ scopes_supported: ['openid'] })).toBe(false);
    expect(offersOfflineAccess({})).toBe(true);
  });
});

/** Every subset of the known tools. */
const subsets: KnownTool[][] = Array.from({ length: 1 << KNOWN_TOOLS.length }, (_, mask) => KNOWN_TOOLS.filter((_, i) => mask & (1 << i)));

describe('issuerAsNamed: a trailing / is the discovery document\'s to decide', () => {
  it.each([
    ['https://idp.example.com/realms/eng/', 'https://idp.example.com/realms/eng', 'https://idp.example.com/realms/eng'],
    ['https://tenant.auth0.com', 'https://tenant.auth0.com/', 'https://tenant.auth0.com/'],
    ['https://idp.example.com//', 'https://idp.example.com', 'https://idp.example.com'],
    ['https://idp.example.com', 'https://idp.example.com', undefined],
    ['https://idp.example.com/a', 'https://idp.example.com/b', undefined],
    ['https://idp.example.com', 'https://evil.example.com/', undefined],
    ['https://idp.example.com/', 'HTTPS://IDP.EXAMPLE.COM', undefined],
    ['https://idp.example.com/', undefined, undefined],
  ])('typed %s, document %s → %s', (typed, named, expected) => {
    expect(issuerAsNamed(typed, named === undefined ? {} : { issuer: named })).toBe(expected);
  });
});

describe('renderConfig', () => {
  const render = (tools: readonly KnownTool[], extra: Partial<Parameters<typeof renderConfig>[0]> = {}) =>
    renderConfig({ profile: 'default', issuer: ISSUER, clientId: 'guard-cli', refreshTokens: true, tools, date: new Date(0), ...extra });

  it.each(subsets.map((tools) => [tools.join(',') || '(none)', tools] as const))('is a valid config for tools %s', (_name, tools) => {
    const parsed = parseLayer(render(tools), 'config.yaml', 'user');
    expect(parsed.issues).toEqual([]);
    const merged = mergeLayers([parsed.layer]);
    expect(merged.issues).toEqual([]);
    expect(merged.config.aliases).toEqual(tools);
    expect([...merged.config.tiers.keys()]).toEqual(['privileged', 'standard']);
  });

  it('proposes the risk-based tiers', () => {
    const tiers = mergeLayers([parseLayer(render([]), 'c.yaml', 'user').layer]).config.tiers;
    expect(tiers.get('privileged')).toMatchObject({ idle: 15 * 60_000, max_session: 8 * 3_600_000, reauth_within: 10 * 60_000, confirm: true });
    expect(tiers.get('standard')).toMatchObject({ idle: 45 * 60_000, max_session: 12 * 3_600_000 });
  });

  it.each([
    ['kubectl get pods --context=prod-eu', true],
    ['kubectl --context=prod-eu delete pod x', true],
    ['kubectl get pods --context=dev', false],
    ['psql -h db.prod.internal', true],
    ['psql -c select --host db.prod.internal', true],
    ['psql -d app_prod', true],
    ['psql postgres://db.staging/x', false],
    ['terraform apply', true],
    ['terraform -chdir=infra destroy -auto-approve', true],
    ['terraform plan', false],
    ['helm upgrade x ./chart --kube-context=prod-us', true],
    ['aws s3 ls --profile=prod-admin', true],
    ['gcloud compute instances list --project=acme-prod', true],
    ['gcloud compute instances list --project=acme-dev', false],
  ])('its rules: %s → privileged %s', (command, privileged) => {
    const config = mergeLayers([parseLayer(render(KNOWN_TOOLS), 'c.yaml', 'user').layer]).config;
    const argv = command.split(' ');
    expect(matchRules(config, { invoked: argv, argv }).length > 0).toBe(privileged);
  });

  it('proposes no rule that config check warns could be sidestepped', () => {
    const config = mergeLayers([parseLayer(render(KNOWN_TOOLS), 'c.yaml', 'user').layer]).config;
    expect(ruleWarnings(config.rules)).toEqual([]);
  });

  it('quotes values from outside, so an issuer cannot add YAML', () => {
    const parsed = parseLayer(render([], { issuer: 'https://idp.example.com/x" \n  evil: 1', clientId: 'a: b # c' }), 'c.yaml', 'user');
    expect(parsed.issues).toEqual([]);
    const profile = parsed.layer.profiles[0]!;
    expect(profile.issuer).toBe('https://idp.example.com/x" \n  evil: 1');
    expect(profile.client_id).toBe('a: b # c');
  });

  it('leaves out offline_access when the IdP has no refresh tokens, and names a non-default profile', () => {
    const layer = parseLayer(render([], { refreshTokens: false, profile: 'work' }), 'c.yaml', 'user').layer;
    expect(layer.profiles[0]!.scopes).not.toContain('offline_access');
    expect(layer.default_profile).toBe('work');
  });
});

describe('runChecks', () => {
  const check = (id: string, run: Check['run'], kind: Check['class'] = 'config'): Check => ({ id, class: kind, run });

  it('keeps the listed order, turns a throw or a timeout into a failure of the check\'s class, and exits with the first failure\'s code', async () => {
    const results = await runChecks(
      [
        check('slow', () => new Promise(() => undefined), 'idp'),
        check('fine', async () => [{ id: 'fine', status: 'pass', summary: 'fine' }]),
        check('broken', async () => {
          throw new Error('boom');
        }, 'auth'),
      ],
      50,
    );
    expect(results.map((r) => [r.id, r.status, r.class])).toEqual([
      ['slow', 'fail', 'idp'],
      ['fine', 'pass', undefined],
      ['broken', 'fail', 'auth'],
    ]);
    expect(results[0]!.summary).toContain('did not finish within 0.05s');
    expect(doctorExitCode(results)).toBe(69);
    expect(doctorExitCode(results.slice(1))).toBe(77);
    expect(doctorExitCode(results.slice(1, 2))).toBe(0);
  });

  it('warn and info never fail', () => {
    expect(doctorExitCode([{ id: 'a', status: 'warn', summary: '' }, { id: 'b', status: 'info', summary: '' }])).toBe(0);
  });
});
