/** effectiveSource: defaults and the offline checks of policy_url, policy_jwks_url and policy_keys. */
import { describe, expect, it } from 'vitest';
import { effectiveSource } from '../../src/policy/central/source.ts';
import { isGuardError } from '../../src/errors.ts';

const KEY = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' };

describe('effectiveSource', () => {
  it('applies the defaults: refresh 5m, max_stale 24h', () => {
    expect(effectiveSource({ url: 'https://p.example/p.jws', keys: [KEY] })).toMatchObject({ refresh: 300_000, max_stale: 86_400_000, label: 'policy:https://p.example/p.jws' });
  });

  it('files the cache under the URL and the keys: new keys start a new cache', () => {
    const a = effectiveSource({ url: 'https://p.example/p.jws', keys: [KEY] }).id;
    expect(effectiveSource({ url: 'https://p.example/p.jws', keys: [KEY] }).id).toBe(a);
    expect(effectiveSource({ url: 'https://p.example/p.jws', keys: [{ ...KEY, x: 'z' }] }).id).not.toBe(a);
    expect(effectiveSource({ url: 'https://p.example/q.jws', keys: [KEY] }).id).not.toBe(a);
  });

  it('allows http only on loopback', () => {
    expect(effectiveSource({ url: 'http://127.0.0.1:8080/p.jws', keys: [KEY] }).url).toBe('http://127.0.0.1:8080/p.jws');
  });

  it.each([
    [{ url: 'http://p.example/p.jws', keys: [KEY] }, /policy_url http:\/\/p\.example\/p\.jws must be an https:\/\/ URL/],
    [{ url: 'https://p.example/p.jws', jwks_url: 'http://k.example/jwks' }, /policy_jwks_url .* must be an https:\/\/ URL/],
    [{ url: 'https://p.example/p.jws' }, /needs policy_jwks_url or policy_keys/],
    [{ url: 'https://p.example/p.jws', keys: ['nope'] }, /must be a public JWK/],
    [{ url: 'https://p.example/p.jws', keys: [{ ...KEY, d: 'private' }] }, /holds a private key/],
  ])('refuses %j', (source, message) => {
    let error: unknown;
    try {
      effectiveSource(source);
    } catch (e) {
      error = e;
    }
    expect(isGuardError(error, 'config')).toBe(true);
    expect((error as Error).message).toMatch(message);
  });
});
