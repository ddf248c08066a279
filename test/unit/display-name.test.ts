/**
 * The readable user name (issue 14): which claim wins, what is not a name,
 * and how status labels the user — the sub stays visible when they differ.
 */
import { describe, expect, it } from 'vitest';
import { readableName } from '../../src/auth/display-name.ts';
import { userLabel } from '../../src/ui/user-label.ts';
import { parseState, STATE_VERSION } from '../../src/session/state.ts';

const plain = { bold: (text: string) => text };

describe('readableName', () => {
  it.each<[string, Record<string, unknown> | undefined, string | undefined]>([
    ['preferred_username first', { preferred_username: 'alice', email: 'a@x.test', name: 'Alice' }, 'alice'],
    ['then email', { email: 'a@x.test', name: 'Alice' }, 'a@x.test'],
    ['then name', { name: 'Alice Example' }, 'Alice Example'],
    ['skips blank and non-string values', { preferred_username: '  ', email: 42, name: 'Alice' }, 'Alice'],
    ['trims', { preferred_username: '  alice \n' }, 'alice'],
    ['nothing when there is no name claim', { sub: 'x', given_name: 'Alice' }, undefined],
    ['nothing without claims', undefined, undefined],
  ])('%s', (_what, claims, expected) => {
    expect(readableName(claims)).toBe(expected);
  });

  it('cuts an overlong value to one label', () => {
    expect(readableName({ name: 'x'.repeat(10_000) })).toHaveLength(120);
  });
});

describe('userLabel', () => {
  it('shows the name with the sub when they differ, the sub alone otherwise', () => {
    expect(userLabel({ subject: 'f3c1', display_name: 'alice' }, plain)).toBe('alice (sub f3c1)');
    expect(userLabel({ subject: 'alice', display_name: 'alice' }, plain)).toBe('alice');
    expect(userLabel({ subject: 'f3c1' }, plain)).toBe('f3c1');
  });

  it('escapes control characters from the IdP in both', () => {
    expect(userLabel({ subject: 's\u001b[2J', display_name: 'a\u0007\nb' }, plain)).not.toMatch(/[\u0000-\u001f\u007f]/);
  });
});

describe('the state file keeps the name as a string or not at all', () => {
  const state = { version: STATE_VERSION, profile: 'default', subject: 'f3c1', session_id: 'id', issuer: 'https://idp.test', client_id: 'c', store: 'secret-service', login_time: 1, auth_time: null, last_activity: 1 };
  it.each<[string, unknown, boolean]>([
    ['absent', undefined, true],
    ['a string', 'alice', true],
    ['a number', 42, false],
    ['an object', { toString: 'alice' }, false],
  ])('display_name %s', (_what, value, ok) => {
    const parsed = parseState(JSON.stringify({ ...state, display_name: value }), 'default');
    expect(parsed === undefined).toBe(!ok);
  });
});
