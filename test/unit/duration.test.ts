import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatDuration, parseDuration } from '../../src/util/duration.ts';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000], ['15m', 900_000], ['1h', 3_600_000], ['8h', 28_800_000], ['1d', 86_400_000], [' 2m ', 120_000],
  ])('%j → %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '0s', '15', 'm', '1.5h', '-1m', '15 m', '15min', '1w', '1h30m', '99999999999d'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('never throws and returns positive integers or undefined (property)', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const ms = parseDuration(text);
        expect(ms === undefined || (Number.isSafeInteger(ms) && ms > 0)).toBe(true);
      }),
    );
  });

  it('round-trips n<unit> (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.constantFrom('s', 'm', 'h', 'd'), (n, unit) => {
        const factor = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[unit];
        expect(parseDuration(`${n}${unit}`)).toBe(n * factor);
      }),
    );
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'], [45_000, '45s'], [17 * 60_000, '17m'], [90_000, '1m30s'], [2 * 3.6e6 + 5 * 6e4, '2h05m'], [3 * 8.64e7 + 4 * 3.6e6, '3d4h'], [-60_000, '-1m'],
  ])('%d → %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
