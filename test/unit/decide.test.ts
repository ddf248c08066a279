import { describe, expect, it } from 'vitest';
import { deathReason, decide, nextExpiry, offlineGraceLeft, type SessionClocks } from '../../src/session/decide.ts';

const MIN = 60_000;
const NOW = 1_800_000_000_000;
const fresh: SessionClocks = { login_time: NOW - 60 * MIN, auth_time: NOW - 5 * MIN, last_activity: NOW - 1 * MIN, access_expires_at: NOW + 5 * MIN };
const privileged = { idle: 15 * MIN, max_session: 8 * 60 * MIN, reauth_within: 10 * MIN };
const standard = { idle: 45 * MIN, max_session: 12 * 60 * MIN };

describe('decide (SPEC §3)', () => {
  const table: Array<[string, Parameters<typeof decide>[0], SessionClocks | undefined, string, string?]> = [
    ['no session → login', standard, undefined, 'login', 'no_session'],
    ['valid session → allow', standard, fresh, 'allow'],
    ['idle exactly at the limit → allow', standard, { ...fresh, last_activity: NOW - 45 * MIN }, 'allow'],
    ['idle 1 ms past the limit → login', standard, { ...fresh, last_activity: NOW - 45 * MIN - 1 }, 'login', 'idle'],
    ['idle 17m under privileged 15m → login', privileged, { ...fresh, last_activity: NOW - 17 * MIN }, 'login', 'idle'],
    ['idle 17m under standard 45m → allow', standard, { ...fresh, last_activity: NOW - 17 * MIN }, 'allow'],
    ['session age exactly max_session → allow', standard, { ...fresh, login_time: NOW - 12 * 60 * MIN }, 'allow'],
    ['session age past max_session → login', standard, { ...fresh, login_time: NOW - 12 * 60 * MIN - 1 }, 'login', 'max_session'],
    ['idle wins over max_session when both are exceeded', standard, { ...fresh, login_time: NOW - 13 * 60 * MIN, last_activity: NOW - 50 * MIN }, 'login', 'idle'],
    ['last_activity in the future counts as no activity', standard, { ...fresh, last_activity: NOW + 60 * MIN }, 'login', 'idle'],
    ['last_activity a few ms ahead (a parallel writer) is fine', standard, { ...fresh, last_activity: NOW + 5 }, 'allow'],
    ['login_time in the future → login', standard, { ...fresh, login_time: NOW + 60 * MIN }, 'login', 'invalid_state'],
    ['auth 5m ago within reauth 10m → allow', privileged, fresh, 'allow'],
    ['auth exactly 10m ago → allow', privileged, { ...fresh, auth_time: NOW - 10 * MIN }, 'allow'],
    ['auth 12m ago past reauth 10m → step-up', privileged, { ...fresh, auth_time: NOW - 12 * MIN }, 'step_up', 'reauth'],
    ['no auth_time with reauth_within → step-up', privileged, { ...fresh, auth_time: null }, 'step_up', 'reauth'],
    ['auth_time within the IdP clock skew ahead → allow', privileged, { ...fresh, auth_time: NOW + 5_000 }, 'allow'],
    ['auth_time far in the future → step-up (invalid)', privileged, { ...fresh, auth_time: NOW + 60 * MIN }, 'step_up', 'reauth'],
    ['auth_time is ignored without reauth_within', standard, { ...fresh, auth_time: NOW - 600 * MIN }, 'allow'],
    ['expired access token → refresh', standard, { ...fresh, access_expires_at: NOW - 1 }, 'refresh', 'token_expired'],
    ['access token about to expire → refresh', standard, { ...fresh, access_expires_at: NOW + 500 }, 'refresh', 'token_expired'],
    ['unknown access expiry → refresh', standard, { ...fresh, access_expires_at: null }, 'refresh', 'token_expired'],
    ['idle beats an expired token: no refresh for an idle session', standard, { ...fresh, last_activity: NOW - 50 * MIN, access_expires_at: NOW - 1 }, 'login', 'idle'],
    ['no limits at all → allow', {}, fresh, 'allow'],
  ];
  it.each(table)('%s', (_name, limits, session, action, reason) => {
    const decision = decide(limits, session, NOW);
    expect(decision.action).toBe(action);
    if (reason) expect(decision).toMatchObject({ reason });
  });

  it('says why in the message', () => {
    const decision = decide(privileged, { ...fresh, last_activity: NOW - 17 * MIN }, NOW);
    expect(decision).toMatchObject({ message: 'idle 17m > 15m' });
    expect(decide(privileged, { ...fresh, auth_time: NOW - 12 * MIN }, NOW)).toMatchObject({ message: 'a sign-in in the last 10m is needed; yours was 12m ago', within: 10 * MIN, since: 12 * MIN });
  });
});

describe('deathReason', () => {
  const loosest = { idle: 45 * MIN, max_session: 12 * 60 * MIN };
  it.each([
    ['alive', fresh, undefined],
    ['idle past the loosest tier', { ...fresh, last_activity: NOW - 46 * MIN }, 'idle'],
    ['older than the loosest max_session', { ...fresh, login_time: NOW - 13 * 60 * MIN }, 'max_session'],
    ['a future last_activity counts as no activity: dead by idle (SPEC §8)', { ...fresh, last_activity: NOW + 60 * MIN }, 'idle'],
    ['a future login_time: dead by max_session', { ...fresh, login_time: NOW + 60 * MIN }, 'max_session'],
    ['a last_activity a few ms ahead (a parallel writer) is alive', { ...fresh, last_activity: NOW + 5 }, undefined],
  ] as const)('%s', (_name, session, reason) => {
    expect(deathReason(loosest, session, NOW)).toBe(reason);
  });
  it('never dies without limits', () => {
    expect(deathReason({}, { ...fresh, login_time: 0, last_activity: 0 }, NOW)).toBeUndefined();
  });
});

describe('nextExpiry', () => {
  it('names the clock that fires first', () => {
    expect(nextExpiry(privileged, fresh, NOW)).toEqual({ clock: 'reauth_within', in: 5 * MIN });
    expect(nextExpiry(standard, fresh, NOW)).toEqual({ clock: 'idle', in: 44 * MIN });
  });
});

describe('offlineGraceLeft (issue 23)', () => {
  const expired = { ...fresh, access_expires_at: NOW - 30 * MIN };
  it.each<[string, Parameters<typeof offlineGraceLeft>[0], SessionClocks, number | undefined]>([
    ['a tier without a grace → none', standard, expired, undefined],
    ['30m after expiry with a 2h grace → 1h30m left', { ...standard, offline_grace: 120 * MIN }, expired, 90 * MIN],
    ['exactly at the end of the grace → none', { ...standard, offline_grace: 30 * MIN }, expired, undefined],
    ['an unknown expiry → none', { ...standard, offline_grace: 120 * MIN }, { ...expired, access_expires_at: null }, undefined],
  ])('%s', (_name, limits, session, left) => {
    expect(offlineGraceLeft(limits, session, NOW)).toBe(left);
  });
});
