/** When a central policy is checked again, and when privileged tiers may rely on it (SPEC §8). Pure, with a fixed clock. */
import { describe, expect, it } from 'vitest';
import { assessCopy, isCheckDue, nextCheckAt } from '../../src/policy/central/assess-policy.ts';
import { isPrivileged } from '../../src/policy/central/fail-closed.ts';
import type { CachedCopy, PolicyCache } from '../../src/policy/central/policy-cache.ts';
import { effectiveSource } from '../../src/policy/central/source.ts';

const NOW = Date.UTC(2030, 0, 1);
const MIN = 60_000;
const source = effectiveSource({ url: 'https://p.example/p.jws', keys: [{ kty: 'EC' }], refresh: 5 * MIN, max_stale: 60 * MIN });
const copy = (over: Partial<CachedCopy> = {}): CachedCopy => ({
  jws: 'a.b.c', fetched_at: NOW - MIN, iat: NOW / 1000 - 3600, exp: NOW / 1000 + 3600, alg: 'ES256', payload: { version: 1 }, ...over,
});
const cache = (over: Partial<PolicyCache> = {}): PolicyCache => ({ version: 1, url: source.url, checked_at: NOW - MIN, outcome: 'updated', copy: copy(), ...over });

describe('isCheckDue', () => {
  it.each([
    ['no cache', undefined, true],
    ['never checked', cache({ checked_at: undefined }), true],
    ['checked 1m ago (refresh 5m)', cache(), false],
    ['checked exactly 5m ago', cache({ checked_at: NOW - 5 * MIN }), true],
    ['failed 20s ago: retried after 30s', cache({ checked_at: NOW - 20_000, outcome: 'failed' }), false],
    ['failed 31s ago', cache({ checked_at: NOW - 31_000, outcome: 'failed' }), true],
    ['rejected 1m ago: the server answered, so the full refresh', cache({ outcome: 'rejected' }), false],
    ['checked "in the future" (clock moved back)', cache({ checked_at: NOW + MIN }), true],
  ] as const)('%s → %s', (_name, c, due) => {
    expect(isCheckDue(c, source, NOW)).toBe(due);
  });

  it('a short policy_refresh also shortens the retry after a failure', () => {
    const fast = { ...source, refresh: 1_000 };
    expect(nextCheckAt(cache({ outcome: 'failed' }), fast)).toBe(NOW - MIN + 1_000);
  });
});

describe('assessCopy', () => {
  it.each([
    ['a copy fetched 1m ago', cache(), true, undefined],
    ['a copy confirmed 59m ago', cache({ copy: copy({ fetched_at: NOW - 59 * MIN }) }), true, undefined],
    ['no copy', cache({ copy: undefined, problem: 'connection refused' }), false, /no valid copy has been fetched yet \(last check: connection refused\)/],
    ['no cache at all', undefined, false, /no valid copy/],
    ['a copy older than max_stale', cache({ copy: copy({ fetched_at: NOW - 61 * MIN }) }), false, /1h01m old, older than policy_max_stale \(1h\)/],
    ['an expired copy', cache({ copy: copy({ exp: NOW / 1000 }) }), false, /expired at 2030-01-01/],
    ['a fetch time in the future', cache({ copy: copy({ fetched_at: NOW + MIN }) }), false, /in the future/],
  ] as const)('%s → current: %s', (_name, c, ok, reason) => {
    const health = assessCopy(c, source, NOW);
    expect(health.ok).toBe(ok);
    if (reason) expect(health.reason).toMatch(reason);
    else expect(health.reason).toBeUndefined();
  });
});

describe('isPrivileged', () => {
  it.each([
    [{ idle: 1 }, ['standard'], false],
    [{ idle: 1, reauth_within: 1 }, ['standard'], true],
    [{ confirm: true }, ['careful'], true],
    [{ confirm: false }, ['x'], false],
    [{}, ['standard', 'privileged'], true],
  ] as const)('%j via %j → %s', (limits, tiers, expected) => {
    expect(isPrivileged(limits, tiers)).toBe(expected);
  });
});
