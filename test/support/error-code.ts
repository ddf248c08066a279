import { GuardError } from '../../src/errors.ts';

/** The GuardError code a call throws: 'other' for any other error, 'none' when it returns. */
export function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    return error instanceof GuardError ? error.code : 'other';
  }
  return 'none';
}
