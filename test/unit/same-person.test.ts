/** Another person's approval is refused, and the line says how to switch users, for the profile in question. */
import { describe, expect, it } from 'vitest';
import { assertSameSubject } from '../../src/session/last-subject.ts';
import { GuardError } from '../../src/errors.ts';

const refusal = (expected: string | undefined, actual: string, profile: string): GuardError | undefined => {
  try {
    assertSameSubject(expected, actual, profile);
  } catch (error) {
    return error as GuardError;
  }
  return undefined;
};

describe('the same person', () => {
  it('anyone when nobody is remembered; the remembered person again', () => {
    expect(refusal(undefined, 'mallory', 'default')).toBeUndefined();
    expect(refusal('alice', 'alice', 'default')).toBeUndefined();
  });

  it.each([
    ['default', 'guard logout, then guard login'],
    ['work', 'guard logout --profile work, then guard login --profile work'],
    ["o'neil", "guard logout --profile 'o'\\''neil', then guard login --profile 'o'\\''neil'"],
  ])('another person for profile %s: 77, and both lines to paste name the profile', (profile, lines) => {
    const error = refusal('alice', 'mallory', profile);
    expect(error?.code).toBe('auth');
    expect(error?.message.endsWith(`to switch users run: ${lines}`)).toBe(true);
  });
});
