/** The pure parts of SPEC §9: the exec credential protocol, the credential's expiry, git's credential protocol. */
import { describe, expect, it } from 'vitest';
import { formatExecCredential, readExecInfo } from '../../src/integrations/kube/exec-info.ts';
import { credentialExpiresAt } from '../../src/integrations/credential-expiry.ts';
import { credentialTarget, formatCredential, parseCredentialRequest, withoutUserinfo } from '../../src/integrations/git/credential-protocol.ts';
import { idTokenExpiring, jwtExpiresAt } from '../../src/session/id-token.ts';
import { codeOf } from '../support/error-code.ts';
import { parseLayer } from '../../src/policy/parse-layer.ts';

const MIN = 60_000;
const NOW = 1_800_000_000_000;
const V1 = 'client.authentication.k8s.io/v1';
const V1BETA1 = 'client.authentication.k8s.io/v1beta1';
const info = (apiVersion: string, spec: unknown) => JSON.stringify({ kind: 'ExecCredential', apiVersion, spec });

describe('KUBERNETES_EXEC_INFO', () => {
  it.each([
    ['v1, interactive, with cluster info', info(V1, { interactive: true, cluster: { server: 'https://k.example:6443' } }), { apiVersion: V1, interactive: true, server: 'https://k.example:6443' }],
    ['v1beta1, not interactive, no cluster info', info(V1BETA1, { interactive: false }), { apiVersion: V1BETA1, interactive: false }],
    ['interactive only when exactly true', info(V1, { interactive: 'yes' }), { apiVersion: V1, interactive: false }],
    ['unset (run by hand): v1, never interactive', undefined, { apiVersion: V1, interactive: false }],
  ])('%s', (_name, value, expected) => {
    expect(readExecInfo(value)).toEqual(expected);
  });

  it.each([
    ['not JSON', '{'],
    ['an unknown apiVersion', info('client.authentication.k8s.io/v1alpha1', {})],
    ['another kind', JSON.stringify({ kind: 'Pod', apiVersion: V1 })],
    ['null', 'null'],
  ])('refuses %s as a usage error', (_name, value) => {
    expect(codeOf(() => readExecInfo(value))).toBe('usage');
  });

  it('prints the ExecCredential in the asked apiVersion, its timestamp rounded down to whole seconds', () => {
    const text = formatExecCredential(V1BETA1, 'tok', Date.UTC(2030, 0, 2, 3, 4, 5, 999));
    expect(text).toBe(`{"apiVersion":"${V1BETA1}","kind":"ExecCredential","status":{"token":"tok","expirationTimestamp":"2030-01-02T03:04:05Z"}}\n`);
  });
});

describe('the credential expiry (SPEC §9)', () => {
  const session = { login_time: NOW - 60 * MIN, auth_time: NOW - 5 * MIN, last_activity: NOW - 30 * MIN, access_expires_at: NOW + 60 * MIN };
  it.each([
    ['the token expires first', NOW + 10 * MIN, { idle: 45 * MIN }, NOW + 10 * MIN],
    ['idle counts from this call (it is activity), not from the last one', NOW + 60 * MIN, { idle: 15 * MIN }, NOW + 15 * MIN],
    ['reauth_within fires first', NOW + 60 * MIN, { idle: 15 * MIN, reauth_within: 10 * MIN }, NOW + 5 * MIN],
    ['max_session fires first', NOW + 60 * MIN, { idle: 45 * MIN, max_session: 70 * MIN }, NOW + 10 * MIN],
    ['no limits: the token alone', NOW + 60 * MIN, {}, NOW + 60 * MIN],
  ])('%s', (_name, tokenExpiresAt, limits, expected) => {
    expect(credentialExpiresAt(tokenExpiresAt, limits, session, NOW)).toBe(expected);
  });
});

describe('ID token expiry', () => {
  const jwt = (payload: unknown) => `e30.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`;
  it('reads exp of a JWT, and nothing from anything else', () => {
    expect(jwtExpiresAt(jwt({ exp: 2_000_000_000 }))).toBe(2_000_000_000_000);
    expect(jwtExpiresAt(jwt({ exp: '2000000000' }))).toBeUndefined();
    expect(jwtExpiresAt('opaque-token')).toBeUndefined();
    expect(jwtExpiresAt('a.!!!.b')).toBeUndefined();
  });
  it('a missing, unreadable or expiring ID token needs a refresh', () => {
    expect(idTokenExpiring({ access_token: 'a' }, NOW)).toBe(true);
    expect(idTokenExpiring({ access_token: 'a', id_token: 'opaque' }, NOW)).toBe(true);
    expect(idTokenExpiring({ access_token: 'a', id_token: jwt({ exp: NOW / 1000 }) }, NOW)).toBe(true);
    expect(idTokenExpiring({ access_token: 'a', id_token: jwt({ exp: NOW / 1000 + 60 }) }, NOW)).toBe(false);
  });
});

describe('git credential protocol', () => {
  it('reads key=value lines up to the blank line as git does: the last of a repeated key, the first of a list key', () => {
    const fields = parseCredentialRequest('protocol=https\nhost=git.example.com:8443\nwwwauth[]=Basic a\nwwwauth[]=Bearer b\npath=org/repo.git\nhost=git.example.com\n\nhost=ignored\n');
    expect(Object.fromEntries(fields)).toEqual({ protocol: 'https', host: 'git.example.com', 'wwwauth[]': 'Basic a', path: 'org/repo.git' });
  });
  it.each([
    ['url=https://GIT.EXAMPLE.COM/prod/app.git', { protocol: 'https', host: 'GIT.EXAMPLE.COM', path: 'prod/app.git' }],
    ['url=https://me:pw@h.example:8443//a%2Fb%20c//?x#y', { protocol: 'https', host: 'h.example:8443', path: 'a/b c//?x#y', username: 'me' }],
    ['url=https://h.example?q', { protocol: 'https', host: 'h.example', path: '?q' }],
    ['url=https://%68.example/', { protocol: 'https', host: 'h.example' }],
    // url= replaces what came before it; what comes after it wins.
    ['host=other\npath=x\nurl=https://h.example\nusername=u', { protocol: 'https', host: 'h.example', username: 'u' }],
  ])('%s: git\'s fields', (text, fields) => {
    expect(Object.fromEntries(parseCredentialRequest(text))).toEqual(fields);
  });
  it.each([
    [{ protocol: 'https', host: 'git.example.com' }, 'https://git.example.com', false],
    [{ protocol: 'https', host: 'git.example.com', path: 'org/repo.git' }, 'https://git.example.com/org/repo.git', true],
    [{ protocol: 'http', host: '127.0.0.1:8080' }, 'http://127.0.0.1:8080', false],
    [{ protocol: 'HTTPS', host: 'GIT.Example.COM.:443', path: 'Prod/App.git' }, 'https://git.example.com/Prod/App.git', true],
    [{ protocol: 'http', host: 'LOCALHOST.:80' }, 'http://localhost', false],
    // curl connects 127.1 and 0x7f.1 to 127.0.0.1 (inet_aton), so they are that host.
    [{ protocol: 'http', host: '127.1:18766' }, 'http://127.0.0.1:18766', false],
    [{ protocol: 'https', host: '0X7F.1', path: 'a.git' }, 'https://127.0.0.1/a.git', true],
  ])('%j is %s', (fields, url, pathKnown) => {
    expect(credentialTarget(new Map(Object.entries(fields)))).toEqual({ url, pathKnown });
  });
  it.each([
    [{ protocol: 'http', host: 'git.example.com' }, 'auth'],
    [{ protocol: 'http', host: '127.0.0.1.evil.example' }, 'auth'],
    [{ protocol: 'ssh', host: 'git.example.com' }, 'auth'],
    [{ host: 'git.example.com' }, 'usage'],
    [{ protocol: 'https' }, 'usage'],
  ])('refuses %j (%s)', (fields, code) => {
    expect(codeOf(() => credentialTarget(new Map(Object.entries(fields))))).toBe(code);
  });
  it('never shows the user and password of a url= line in an error', () => {
    for (const [url, shown] of [
      ['alice:s3cret@git.example.test/app.git', 'git.example.test/app.git'],
      ['alice:s3/cr?et#x@git.example.test', 'git.example.test'],
      ['s3cret@', '…'],
      ['git.example.test/app.git', 'git.example.test/app.git'],
    ]) {
      expect(() => parseCredentialRequest(`url=${url}\n`)).toThrow(`git sent a url with no scheme: ${shown}`);
      expect(() => parseCredentialRequest(`url=${url}\n`)).not.toThrow(/s3|alice/);
    }
    expect(withoutUserinfo('https://alice:s3cret@git.example.test/x')).toBe('https://git.example.test/x');
  });
  it('escapes what git sent before it reaches the terminal', () => {
    expect(() => credentialTarget(new Map([['protocol', 'http'], ['host', 'evil\u001b]0;x\u0007.example']]))).toThrow('refusing to hand a token to http://evil\\x1b]0;x\\x07.example:');
  });
    it('answers username, password and the expiry in whole seconds; refuses a line break', () => {
    expect(formatCredential('oauth2', 'tok', 1_800_000_000_999)).toBe('username=oauth2\npassword=tok\npassword_expiry_utc=1800000000\n');
    expect(codeOf(() => formatCredential('a\nb', 'tok', NOW))).toBe('auth');
  });
});

describe('profile keys for credential helpers (config check)', () => {
  const layer = (extra: string) =>
    parseLayer(`version: 1\nprofiles:\n  default:\n    issuer: https://idp.example.com\n    client_id: guard-cli\n${extra}`, 'c.yaml', 'user');
  it('reads kube_token and git_username', () => {
    const { layer: parsed, issues } = layer('    kube_token: access_token\n    git_username: build-bot\n');
    expect(issues).toEqual([]);
    expect(parsed.profiles[0]).toMatchObject({ kube_token: 'access_token', git_username: 'build-bot' });
  });
  it.each([
    ['    kube_token: refresh_token\n', 'c.yaml:6:17: profiles.default.kube_token must be id_token or access_token'],
    ['    git_username: "a\\nb"\n', 'c.yaml:6:19: profiles.default.git_username must not contain control characters'],
  ])('refuses %j with file:line:col', (extra, message) => {
    expect(layer(extra).issues.map((i) => `${i.file}:${i.line}:${i.col}: ${i.message}`)).toEqual([message]);
  });
});
