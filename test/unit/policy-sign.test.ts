/** The admin's signing helper: what it signs verifies; what guard would reject, it refuses to sign. */
import { describe, expect, it } from 'vitest';
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import { generateSigningKey, publicJwk, signPolicy } from '../../src/policy/central/sign-policy.ts';
import { verifyPolicy } from '../../src/policy/central/verify-policy.ts';
import { isGuardError } from '../../src/errors.ts';

const NOW = Date.UTC(2030, 0, 1, 12);
const YAML = 'version: 1\ntiers:\n  privileged: { idle: 15m, reauth_within: 10m }\ndefault_tier: privileged\n';

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(() => { throw new Error('expected a failure'); }, (e: Error) => e);
}

describe('signPolicy', () => {
  it('signs YAML as a JWS that verifies, with iat = now and exp = now + validity', async () => {
    const { privateJwk, jwks } = await generateSigningKey();
    const jws = await signPolicy(YAML, 'policy.yaml', privateJwk, { now: NOW, validity: 86_400_000 });
    expect(decodeProtectedHeader(jws)).toEqual({ alg: 'ES256', kid: privateJwk.kid });
    const verified = await verifyPolicy(jws, { keys: jwks, now: NOW, label: 'policy:test' });
    expect(verified).toMatchObject({ iat: NOW / 1000, exp: NOW / 1000 + 86_400, alg: 'ES256' });
    expect(verified.payload).toMatchObject({ version: 1, default_tier: 'privileged', tiers: { privileged: { idle: '15m' } } });
  });

  it('uses the RFC 7638 thumbprint as kid, and the curve for alg, when the JWK names neither', async () => {
    const { privateKey } = await generateKeyPair('Ed25519', { extractable: true });
    const jwk = await exportJWK(privateKey);
    const jws = await signPolicy(YAML, 'p.yaml', jwk, { now: NOW, validity: 60_000 });
    expect(decodeProtectedHeader(jws)).toEqual({ alg: 'EdDSA', kid: await calculateJwkThumbprint(publicJwk(jwk)) });
  });

  it('keeps the private parts out of the public key set', async () => {
    const { privateJwk, jwks } = await generateSigningKey('ES384');
    expect(privateJwk.d).toBeTypeOf('string');
    expect(jwks.keys[0]).toEqual({ kty: 'EC', crv: 'P-384', x: privateJwk.x, y: privateJwk.y, kid: privateJwk.kid, alg: 'ES384', use: 'sig' });
  });

  it.each([
    ['an invalid layer, with file:line:col', 'version: 1\nbogus: 1\n', 'config', /^not signing an invalid policy: p\.yaml:2:1: unknown key "bogus"/],
    ['a layer that sets the policy source', 'version: 1\npolicy_url: https://x.example/p.jws\npolicy_keys: []\n', 'config', /sets policy_url/],
  ])('refuses %s', async (_name, text, code, message) => {
    const { privateJwk } = await generateSigningKey();
    const error = await failure(signPolicy(text, 'p.yaml', privateJwk, { now: NOW, validity: 1_000 }));
    expect(isGuardError(error, code as 'config')).toBe(true);
    expect(error.message).toMatch(message);
  });

  it('refuses a public key', async () => {
    const { jwks } = await generateSigningKey();
    const error = await failure(signPolicy(YAML, 'p.yaml', jwks.keys[0]!, { now: NOW, validity: 1_000 }));
    expect(isGuardError(error, 'usage')).toBe(true);
    expect(error.message).toMatch(/public JWK/);
  });
});
