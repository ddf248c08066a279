/** The policy cache file: atomic 0600 writes, and what it refuses to trust. Real files in a temp folder. */
import { describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachePath, readCache, writeCache, type PolicyCache } from '../../src/policy/central/policy-cache.ts';

const URL_ = 'https://p.example/p.jws';
const cache: PolicyCache = {
  version: 1,
  url: URL_,
  checked_at: 1_000,
  outcome: 'updated',
  copy: { jws: 'a.b.c', etag: '"e1"', fetched_at: 1_000, iat: 1, exp: 2, alg: 'ES256', kid: 'k', payload: { version: 1 } },
};
const stateDir = () => join(mkdtempSync(join(tmpdir(), 'guard-policy-cache-')), 'state');

describe('policy cache', () => {
  it('round-trips, with mode 0600 in a 0700 folder', () => {
    const dir = stateDir();
    writeCache(dir, 'id1', cache);
    expect(readCache(dir, 'id1', URL_)).toEqual({ cache });
    expect(statSync(cachePath(dir, 'id1')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'policy')).mode & 0o777).toBe(0o700);
  });

  it('is empty when there is no file', () => {
    expect(readCache(stateDir(), 'none', URL_)).toEqual({});
  });

  it('ignores a file for another URL', () => {
    const dir = stateDir();
    writeCache(dir, 'id1', cache);
    expect(readCache(dir, 'id1', 'https://other.example/p.jws')).toEqual({ note: expect.stringContaining('corrupt or from another version') });
  });

  it.each([
    ['not JSON', '{"version":1,'],
    ['another version', JSON.stringify({ ...cache, version: 2 })],
    ['a copy without a payload', JSON.stringify({ ...cache, copy: { ...cache.copy, payload: undefined } })],
    ['a negative fetch time', JSON.stringify({ ...cache, copy: { ...cache.copy, fetched_at: -1 } })],
  ])('treats %s as no cache, with a note', (_name, text) => {
    const dir = stateDir();
    writeCache(dir, 'id1', cache);
    writeFileSync(cachePath(dir, 'id1'), text);
    const read = readCache(dir, 'id1', URL_);
    expect(read.cache).toBeUndefined();
    expect(read.note).toMatch(/corrupt or from another version/);
  });

  it('does not trust a file others can write', () => {
    const dir = stateDir();
    writeCache(dir, 'id1', cache);
    chmodSync(cachePath(dir, 'id1'), 0o666);
    expect(readCache(dir, 'id1', URL_)).toEqual({ note: expect.stringContaining('writable by other users, so it is not trusted') });
  });
});
