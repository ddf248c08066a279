import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTime } from '../../src/util/iso-time.ts';

describe('isoTime', () => {
  it('writes what Date.toISOString writes, for every time in years 0–9999', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }), (ms) => {
        expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 20_000 },
    );
  });

  it.each([
    ['the epoch', 0],
    ['a leap day', Date.UTC(2024, 1, 29, 23, 59, 59, 999)],
    ['the day after a century non-leap February', Date.UTC(2100, 2, 1)],
    ['a 400-year leap day', Date.UTC(2000, 1, 29, 12)],
    ['before the epoch', -1],
    ['a fraction of a millisecond', 1_700_000_000_123.9],
    ['a negative fraction', -0.5],
    ['the first instant of year 0', -62_167_219_200_000],
    ['the last instant of year 9999', 253_402_300_799_999],
    ['beyond year 9999 (Date\'s own form)', 253_402_300_800_000],
    ['before year 0', -62_167_219_200_001],
  ])('%s', (_, ms) => {
    expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });

  it('throws like Date for a time that is not one', () => {
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
  });
});
