/** verifyPolicy: what a central policy document must be (SPEC §8), as a table of documents and verdicts. */
import { beforeAll, describe, expect, it } from 'vitest';
import { base64url, CompactSign, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { PolicyRejected, verifyPolicy } from '../../src/policy/central/verify-policy.ts';

const NOW = Date.UTC(2030, 0, 1);
const IAT = NOW / 1000 - 60;
const LAYER = { version: 1, tiers: { privileged: { idle: '15m', reauth_within: '10m' } }, default_tier: 'privileged' };

let es: { key: CryptoKey; jwk: JWK };
let ed: { key: CryptoKey; jwk: JWK };
let stranger: { key: CryptoKey; jwk: JWK };

async function pair(alg: 'ES256' | 'Ed25519', kid: string) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { key: privateKey, jwk: { ...(await exportJWK(publicKey)), kid } };
}

beforeAll(async () => {
  [es, ed, stranger] = await Promise.all([pair('ES256', 'es'), pair('Ed25519', 'ed'), pair('ES256', 'x')]);
});

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const sign = (payload: unknown, by = es, header: Record<string, unknown> = { alg: 'ES256', kid: by.jwk.kid }) =>
  new CompactSign(encode(payload)).setProtectedHeader(header as { alg: string }).sign(by.key);
const verify = (jws: string, cachedIat?: number) =>
  verifyPolicy(jws, { keys: { keys: [es.jwk, ed.jwk] }, now: NOW, label: 'policy:https://p.example/p.jws', ...(cachedIat !== undefined ? { cachedIat } : {}) });
const doc = (extra: Record<string, unknown> = {}) => ({ ...LAYER, iat: IAT, exp: IAT + 3600, ...extra });

describe('accepted', () => {
  it('an ES256 document from a key of the set, returning payload, version and signer', async () => {
    expect(await verify(await sign(doc()))).toEqual({ payload: doc(), iat: IAT, exp: IAT + 3600, alg: 'ES256', kid: 'es' });
  });

  it('an Ed25519 (EdDSA) document', async () => {
    expect(await verify(await sign(doc(), ed, { alg: 'EdDSA', kid: 'ed' }))).toMatchObject({ alg: 'EdDSA', kid: 'ed' });
  });

  it('the same version as the cached one (not a rollback)', async () => {
    expect((await verify(await sign(doc()), IAT)).iat).toBe(IAT);
  });
});

describe('rejected', () => {
  const cases: Array<[string, () => Promise<string>, RegExp, number?]> = [
    ['no signature at all (plain JSON)', async () => JSON.stringify(doc()), /not a compact JWS/],
    ['alg: none', async () => `${base64url.encode('{"alg":"none"}')}.${base64url.encode(JSON.stringify(doc()))}.`, /unsigned \(alg none\)/],
    ['a tampered payload', async () => {
      const [h, , s] = (await sign(doc())).split('.');
      return `${h}.${base64url.encode(JSON.stringify(doc({ default_tier: 'x' })))}.${s}`;
    }, /bad signature/],
    ['a key outside the set', () => sign(doc(), stranger), /not in the key set \(kid "x"\)/],
    ['another key under a trusted kid', () => sign(doc(), stranger, { alg: 'ES256', kid: 'es' }), /bad signature/],
    ['a symmetric algorithm', async () => new CompactSign(encode(doc())).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32).fill(7)), /algorithm HS256 is not allowed/],
    ['no iat', () => sign({ ...LAYER, exp: IAT + 3600 }), /numeric iat and exp/],
    ['a string exp', () => sign(doc({ exp: String(IAT + 3600) })), /numeric iat and exp/],
    ['an expired document', () => sign(doc({ exp: NOW / 1000 })), /expired at 2030-01-01T00:00:00\.000Z/],
    ['an older iat than the cached copy', () => sign(doc()), /rollback/, IAT + 1],
    ['a payload that is an array', () => sign([1, 2]), /not a JSON object/],
    ['an unknown key', () => sign(doc({ colour: 'red' })), /not a valid system layer: line \d+: unknown key "colour"/],
    ['a bad duration', () => sign(doc({ tiers: { t: { idle: 'soon' } } })), /bad duration "soon"/],
    ['a policy_url of its own', () => sign(doc({ policy_url: 'https://elsewhere.example/p.jws' })), /sets policy_url/],
  ];
  it.each(cases)('%s', async (_name, make, reason, cachedIat) => {
    const error = await verify(await make(), cachedIat).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyRejected);
    expect((error as Error).message).toMatch(reason);
  });

  it('a broken key set is a failed check, not a rejection of the document', async () => {
    const error = await verifyPolicy(await sign(doc()), { keys: { keys: [{ ...es.jwk, d: 'secret' }] }, now: NOW, label: 'p' }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(PolicyRejected);
  });
});
