import { describe, expect, it } from 'vitest';
import { buildChildEnv } from '../../src/exec/child-env.ts';

describe('buildChildEnv', () => {
  it('keeps the user\'s environment, adds injections and the GUARD_SESSION marker', () => {
    const env = buildChildEnv({ PATH: '/bin', HOME: '/h' }, 'prod', { PGPASSWORD: 'tok' });
    expect(env).toEqual({ PATH: '/bin', HOME: '/h', PGPASSWORD: 'tok', GUARD_INJECTED: 'PGPASSWORD', GUARD_SESSION: 'prod' });
  });

  it('removes what a parent guard injected and inherited GUARD_*TOKEN variables', () => {
    const parent = { PATH: '/bin', PGPASSWORD: 'parent-token', GUARD_INJECTED: 'PGPASSWORD', GUARD_ACCESS_TOKEN: 'x', GUARD_ID_TOKEN_FILE: 'y', GUARD_SESSION: 'outer' };
    expect(buildChildEnv(parent, 'inner', {})).toEqual({ PATH: '/bin', GUARD_SESSION: 'inner' });
  });

  it('does not modify the parent environment object', () => {
    const parent = { A: '1', GUARD_INJECTED: 'A' };
    buildChildEnv(parent, 'p', { B: '2' });
    expect(parent).toEqual({ A: '1', GUARD_INJECTED: 'A' });
  });
});
