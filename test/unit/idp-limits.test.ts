import { describe, expect, it } from 'vitest';
import { idpLimitsFrom, withIdpLimits } from '../../src/session/idp-limits.ts';
import { refreshExpiresIn } from '../../src/auth/tokens.ts';

const names = { idle: 'guard_idle', max_session: 'guard_max_session' };

describe('IdP-driven limits', () => {
  it.each([
    [{ guard_idle: '10m' }, { idle: 600_000 }],
    [{ guard_idle: 90, guard_max_session: '8h' }, { idle: 90_000, max_session: 28_800_000 }],
    [{ guard_idle: 'soon', guard_max_session: -5 }, undefined],
    [{}, undefined],
    [{ other: '1m' }, undefined],
  ])('%j → %j', (claims, limits) => {
    expect(idpLimitsFrom(claims, names)).toEqual(limits);
  });

  it('reads nothing when no claim names are configured', () => {
    expect(idpLimitsFrom({ guard_idle: '1m' }, {})).toBeUndefined();
  });

  it('only ever tightens', () => {
    expect(withIdpLimits({ idle: 900_000, max_session: 3_600_000 }, { idle: 60_000, max_session: 7_200_000 })).toEqual({ idle: 60_000, max_session: 3_600_000 });
    expect(withIdpLimits({ idle: 900_000 }, undefined)).toEqual({ idle: 900_000 });
  });

  it('reads the refresh token lifetime under either common name', () => {
    expect(refreshExpiresIn({ refresh_expires_in: 1800 })).toBe(1800);
    expect(refreshExpiresIn({ refresh_token_expires_in: 60 })).toBe(60);
    expect(refreshExpiresIn({ refresh_expires_in: 'x' })).toBeUndefined();
  });
});
