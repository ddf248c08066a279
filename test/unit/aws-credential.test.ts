/** The pure parts of SPEC §15's aws-credential: the role, the session name, the duration, STS's answers, the cache entry and the printed JSON. */
import { describe, expect, it } from 'vitest';
import { checkRoleArn, requestedDuration, roleSessionName, stsDuration } from '../../src/integrations/aws/role.ts';
import { parseStsAnswer } from '../../src/integrations/aws/sts-response.ts';
import { awsCacheAccount, readCachedCredentials } from '../../src/integrations/aws/role-credentials.ts';
import { formatCredentialProcess } from '../../src/integrations/aws/credential-process.ts';
import { stsEndpoint } from '../../src/integrations/aws/sts-endpoint.ts';
import { credentialExpiresAt } from '../../src/integrations/credential-expiry.ts';
import { codeOf } from '../support/error-code.ts';
import { parseLayer } from '../../src/policy/parse-layer.ts';
import type { Profile } from '../../src/policy/types.ts';

const MIN = 60_000;
const NOW = 1_800_000_000_000;

describe('the role and what STS is asked for', () => {
  it('takes IAM role ARNs of every partition, with paths; anything else is a usage error', () => {
    for (const arn of ['arn:aws:iam::111122223333:role/deploy', 'arn:aws-us-gov:iam::111122223333:role/ops/admin+x=y,z.w@v-1', 'arn:aws-cn:iam::111122223333:role/r_1']) expect(checkRoleArn(arn)).toBe(arn);
    for (const arn of [undefined, '', 'arn:aws:iam::1111:role/x', 'arn:aws:iam::111122223333:user/x', 'arn:aws:sts::111122223333:role/x', 'arn:aws:iam::111122223333:role/a b', 'arn:aws:iam::111122223333:role/x\n', 'ARN:aws:iam::111122223333:role/x']) {
      expect(codeOf(() => checkRoleArn(arn)), String(arn)).toBe('usage');
    }
  });

  it('--duration: 1h by default, 15m to 12h in whole seconds', () => {
    expect(requestedDuration(undefined)).toBe(3600);
    expect(requestedDuration('15m')).toBe(900);
    expect(requestedDuration('12h')).toBe(43_200);
    for (const bad of ['14m', '13h', '1d', 'soon', '0s']) expect(codeOf(() => requestedDuration(bad)), bad).toBe('usage');
  });

  it('DurationSeconds: shortened to the fixed clocks (max_session, reauth_within), never to idle, never below 900', () => {
    const session = { login_time: NOW - 60 * MIN, auth_time: NOW - 30 * MIN, last_activity: NOW };
    expect(stsDuration(3600, { idle: 5 * MIN }, session, NOW)).toBe(3600);
    expect(stsDuration(3600, { max_session: 80 * MIN }, session, NOW)).toBe(1200);
    expect(stsDuration(3600, { reauth_within: 40 * MIN }, session, NOW)).toBe(900);
    expect(stsDuration(7200, { max_session: 12 * 60 * MIN, reauth_within: 90 * MIN }, session, NOW)).toBe(3600);
    expect(stsDuration(900, { max_session: 8 * 60 * MIN }, session, NOW)).toBe(900);
  });

  it('RoleSessionName: the readable name in STS\'s characters (2–64), else the subject', () => {
    expect(roleSessionName('alice@example.com', 'sub-1')).toBe('alice@example.com');
    expect(roleSessionName('Alice Smith (ops)', 'x')).toBe('Alice-Smith-ops');
    expect(roleSessionName('Zoë', 'x')).toBe('Zo');
    expect(roleSessionName('ü', '00u1a2b3c4')).toBe('00u1a2b3c4');
    expect(roleSessionName(undefined, 'auth0|5f7c8ec7c33c6c004bbafe82')).toBe('auth0-5f7c8ec7c33c6c004bbafe82');
    expect(roleSessionName('\u001b[31mroot\u001b[0m', 'x')).toBe('31mroot-0m');
    expect(roleSessionName('a'.repeat(100), 'x')).toBe('a'.repeat(64));
    expect(roleSessionName(undefined, 'x')).toBe('guard-x');
    expect(roleSessionName('!!', '??')).toBe('guard');
    for (const name of ['alice@example.com', 'Alice Smith (ops)', 'x'.repeat(90), 'ü', '€€€ b']) expect(roleSessionName(name, 'subject')).toMatch(/^[\w+=,.@-]{2,64}$/);
  });

  it('the endpoint: aws_sts_endpoint, else the region\'s (China has its own domain); neither is a config error', () => {
    const profile = (extra: Partial<Profile>) => ({ name: 'p', issuer: 'https://i', client_id: 'c', scopes: ['openid'], store: 'secret-service', resources: [], ...extra }) as Profile;
    expect(stsEndpoint(profile({ aws_region: 'eu-central-1' }))).toBe('https://sts.eu-central-1.amazonaws.com');
    expect(stsEndpoint(profile({ aws_region: 'cn-north-1' }))).toBe('https://sts.cn-north-1.amazonaws.com.cn');
    expect(stsEndpoint(profile({ aws_region: 'us-east-1', aws_sts_endpoint: 'https://sts.vpce.example' }))).toBe('https://sts.vpce.example');
    expect(codeOf(() => stsEndpoint(profile({})))).toBe('config');
  });

  it('config check: aws_sts_endpoint is https (http only on loopback), aws_region a region name; file:line errors', () => {
    const layer = (extra: string) => parseLayer(`version: 1\nprofiles:\n  p:\n    issuer: https://idp.example\n    client_id: c\n${extra}`, '/x/config.yaml', 'user');
    expect(layer('    aws_sts_endpoint: https://sts.us-east-1.amazonaws.com\n    aws_region: us-east-1\n').issues).toEqual([]);
    expect(layer('    aws_sts_endpoint: http://127.0.0.1:4566\n').issues).toEqual([]);
    expect(layer('    aws_sts_endpoint: http://sts.example.com\n').issues).toEqual([expect.objectContaining({ file: '/x/config.yaml', line: 6, message: expect.stringContaining('aws_sts_endpoint must be an https:// URL') })]);
    expect(layer('    aws_region: evil.example.com/x\n').issues).toEqual([expect.objectContaining({ line: 6, message: expect.stringContaining('aws_region must be an AWS region name') })]);
  });
});

const ok = (credentials: string) => `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <AssumedRoleUser><Arn>arn:aws:sts::111122223333:assumed-role/deploy/alice</Arn><AssumedRoleId>AROA:alice</AssumedRoleId></AssumedRoleUser>
    <Credentials>${credentials}</Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>`;
const CREDS = '<SessionToken>FwoGZXIvYXdzEJr//////////wEaDHNlc3Npb24tdG9rZW4=</SessionToken><SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey><Expiration>2027-01-15T12:00:00Z</Expiration><AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>';
const error = (code: string, message: string, type = 'Sender') => `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>1</RequestId></ErrorResponse>`;

describe("STS's answers", () => {
  it('reads the credentials of a success', () => {
    expect(parseStsAnswer(200, ok(CREDS))).toEqual({
      ok: true,
      credentials: { accessKeyId: 'ASIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY', sessionToken: 'FwoGZXIvYXdzEJr//////////wEaDHNlc3Npb24tdG9rZW4=', expiresAt: Date.parse('2027-01-15T12:00:00Z') },
      assumedRoleArn: 'arn:aws:sts::111122223333:assumed-role/deploy/alice',
    });
  });

  it('reads the type, code and message of an error, entities decoded', () => {
    expect(parseStsAnswer(403, error('AccessDenied', 'Not authorized &amp; &lt;sure&gt; &#65;&#x42;'))).toEqual({ ok: false, type: 'Sender', code: 'AccessDenied', message: 'Not authorized & <sure> AB' });
    expect(parseStsAnswer(400, error('Throttling', 'Rate exceeded'))).toMatchObject({ ok: false, code: 'Throttling' });
  });

  it('anything else is not an STS answer: HTML, another document, a missing or ill-formed field, a bad code', () => {
    for (const [status, body] of [
      [200, '<!DOCTYPE html><html><body>Welcome</body></html>'],
      [502, '<html><h1>Bad Gateway</h1></html>'],
      [200, `<GetCallerIdentityResponse>${CREDS}</GetCallerIdentityResponse>`],
      [200, ok(CREDS.replace(/<SessionToken>.*<\/SessionToken>/, ''))],
      [200, ok(CREDS.replace('ASIAIOSFODNN7EXAMPLE', 'asia-bad key'))],
      [200, ok(CREDS.replace('wJalrXUtnFEMI', 'wJalr\u001b[2JXUtnFEMI'))],
      [200, ok(CREDS.replace('2027-01-15T12:00:00Z', 'tomorrow'))],
      [200, ok(CREDS).slice(0, 300)],
      [400, error('Access Denied\u001b[31m', 'x')],
      [400, '{"__type":"AccessDenied"}'],
    ] as const) {
      expect(parseStsAnswer(status, body), body.slice(0, 60)).toBeUndefined();
    }
  });
});

describe('the cached credential', () => {
  const entry = (fields: Record<string, unknown> = {}) =>
    JSON.stringify({ version: 1, session_id: 's1', role_arn: 'arn:aws:iam::111122223333:role/deploy', access_key_id: 'ASIAX', secret_access_key: 'secret', session_token: 'token', expires_at: NOW + 30 * MIN, ...fields });

  it('is served only to its session and role, while more than 5 minutes are left', () => {
    expect(readCachedCredentials(entry(), 's1', 'arn:aws:iam::111122223333:role/deploy', NOW)).toEqual({ accessKeyId: 'ASIAX', secretAccessKey: 'secret', sessionToken: 'token', expiresAt: NOW + 30 * MIN });
    expect(readCachedCredentials(entry(), 's2', 'arn:aws:iam::111122223333:role/deploy', NOW)).toBeUndefined(); // after a lock and a new sign-in
    expect(readCachedCredentials(entry(), 's1', 'arn:aws:iam::111122223333:role/admin', NOW)).toBeUndefined();
    expect(readCachedCredentials(entry({ expires_at: NOW + 5 * MIN }), 's1', 'arn:aws:iam::111122223333:role/deploy', NOW)).toBeUndefined();
    for (const bad of [undefined, '', 'not json', '[]', entry({ version: 2 }), entry({ secret_access_key: 7 }), entry({ expires_at: 'later' })]) {
      expect(readCachedCredentials(bad, 's1', 'arn:aws:iam::111122223333:role/deploy', NOW)).toBeUndefined();
    }
  });

  it('has an account of its own per profile, role and requested duration', () => {
    const accounts = new Set([
      awsCacheAccount('default', 'arn:aws:iam::111122223333:role/a', 3600),
      awsCacheAccount('default', 'arn:aws:iam::111122223333:role/a', 7200),
      awsCacheAccount('default', 'arn:aws:iam::111122223333:role/b', 3600),
      awsCacheAccount('work', 'arn:aws:iam::111122223333:role/a', 3600),
      awsCacheAccount('default', 'default', 3600), // never a profile's own token entry
    ]);
    expect(accounts.size).toBe(5);
    expect([...accounts].every((account) => account.startsWith('aws-credential ['))).toBe(true);
  });
});

describe('the credential_process JSON', () => {
  const credentials = { accessKeyId: 'ASIAX', secretAccessKey: 's', sessionToken: 't', expiresAt: NOW + 60 * MIN };

  it('is version 1 with RFC 3339 whole seconds, rounded down', () => {
    expect(formatCredentialProcess(credentials, Date.parse('2027-01-15T12:00:59.999Z'))).toBe('{"Version":1,"AccessKeyId":"ASIAX","SecretAccessKey":"s","SessionToken":"t","Expiration":"2027-01-15T12:00:59Z"}\n');
  });

  it("Expiration is the sooner of the credential's own expiry and the tier's next limit", () => {
    const session = { login_time: NOW - 10 * MIN, auth_time: NOW - 10 * MIN, last_activity: NOW - 5 * MIN };
    // idle 15m from this call (activity), before the credential's hour is up
    expect(credentialExpiresAt(credentials.expiresAt, { idle: 15 * MIN }, session, NOW)).toBe(NOW + 15 * MIN);
    // reauth_within fires 5 minutes from now
    expect(credentialExpiresAt(credentials.expiresAt, { idle: 15 * MIN, reauth_within: 15 * MIN }, session, NOW)).toBe(NOW + 5 * MIN);
    // no limit sooner: the credential's own expiry
    expect(credentialExpiresAt(credentials.expiresAt, { idle: 2 * 60 * MIN, max_session: 12 * 60 * MIN }, session, NOW)).toBe(credentials.expiresAt);
  });
});
