/**
 * The state-file parser (SPEC §8 "State files"): whatever bytes are on
 * disk — truncated, garbage, hand-edited, another version — parseState
 * never throws, and anything it accepts is a well-formed session.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseState, readState, stageActivity, statePath, STATE_VERSION, touchActivity, type SessionState } from '../../src/session/state.ts';

const PROFILE = 'default';

const time = fc.integer({ min: 0, max: 4_102_444_800_000 });
const text = fc.string({ minLength: 1, maxLength: 40 });

/** Any state guard itself could have written. */
const validState: fc.Arbitrary<SessionState> = fc.record(
  {
    version: fc.constant(STATE_VERSION),
    profile: fc.constant(PROFILE),
    subject: text,
    session_id: fc.uuid(),
    issuer: fc.webUrl(),
    client_id: text,
    store: fc.constantFrom('secret-service' as const, 'keyutils' as const),
    login_time: time,
    auth_time: fc.option(time, { nil: null }),
    last_activity: time,
    access_expires_at: fc.option(time, { nil: null }),
    scope: fc.string(),
  },
  { requiredKeys: ['version', 'profile', 'subject', 'session_id', 'issuer', 'client_id', 'store', 'login_time', 'last_activity'] },
);

/** What anything parseState accepts must look like: the decision code relies on it. */
function expectWellFormed(state: SessionState): void {
  expect(state.version).toBe(STATE_VERSION);
  expect(state.profile).toBe(PROFILE);
  for (const key of ['login_time', 'last_activity'] as const) {
    expect(Number.isFinite(state[key]) && state[key] >= 0).toBe(true);
  }
  for (const key of ['auth_time', 'access_expires_at'] as const) {
    const value = state[key];
    expect(value === undefined || value === null || (Number.isFinite(value) && value >= 0)).toBe(true);
  }
  for (const key of ['subject', 'session_id', 'issuer', 'client_id'] as const) {
    expect(typeof state[key] === 'string' && state[key] !== '').toBe(true);
  }
  expect(['secret-service', 'keyutils']).toContain(state.store);
}

function parsesSafely(input: string): SessionState | undefined {
  const state = parseState(input, PROFILE); // must not throw
  if (state) expectWellFormed(state);
  return state;
}

describe('parseState', () => {
  it('never throws on arbitrary bytes (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => void parsesSafely(Buffer.from(bytes).toString('utf8'))), { numRuns: 2_000 });
  });

  it('never throws on arbitrary strings and JSON values (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (input) => void parsesSafely(input)));
    fc.assert(fc.property(fc.jsonValue(), (value) => void parsesSafely(JSON.stringify(value))));
  });

  it('accepts every state guard writes, unchanged (property)', () => {
    fc.assert(
      fc.property(validState, (state) => {
        expect(parsesSafely(`${JSON.stringify(state, null, 2)}\n`)).toEqual(state);
      }),
    );
  });

  it('rejects or safely accepts any one field replaced by anything (property)', () => {
    const keys = ['version', 'profile', 'subject', 'session_id', 'issuer', 'client_id', 'store', 'login_time', 'auth_time', 'last_activity', 'access_expires_at'];
    fc.assert(
      fc.property(validState, fc.constantFrom(...keys), fc.anything(), (state, key, value) => {
        void parsesSafely(JSON.stringify({ ...state, [key]: value }));
      }),
    );
  });

  it('treats every truncation of a valid file as corrupt (property)', () => {
    fc.assert(
      fc.property(validState, fc.nat(), (state, cut) => {
        const full = JSON.stringify(state, null, 2);
        const at = cut % full.length;
        expect(parseState(full.slice(0, at), PROFILE)).toBeUndefined();
      }),
    );
  });

  it.each([
    ['non-finite times', '{"version":1,"login_time":1e999}'],
    ['negative times', { login_time: -1 }],
    ['string times', { last_activity: '2024-01-01' }],
    ['another profile', { profile: 'other' }],
    ['another version', { version: 2 }],
    ['an empty subject', { subject: '' }],
    ['an unknown store', { store: 'plaintext' }],
  ])('rejects %s', (_name, change) => {
    const base: SessionState = { version: 1, profile: PROFILE, subject: 'alice', session_id: 's', issuer: 'https://idp', client_id: 'c', store: 'secret-service', login_time: 1, last_activity: 1 };
    const input = typeof change === 'string' ? change : JSON.stringify({ ...base, ...change });
    expect(parseState(input, PROFILE)).toBeUndefined();
  });
});

describe('readState on arbitrary file contents', () => {
  const dir = mkdtempSync(join(tmpdir(), 'guard-state-unit-'));
  mkdirSync(join(dir, 'sessions'), { recursive: true, mode: 0o700 });

  it('returns a state or a one-line note, never throws (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        writeFileSync(statePath(dir, PROFILE), bytes, { mode: 0o600 });
        const { state, note } = readState(dir, PROFILE);
        expect(state !== undefined || typeof note === 'string').toBe(true);
        if (note) expect(note).not.toContain('\n');
      }),
      { numRuns: 300 },
    );
  });
});

describe('a staged activity (guard run renames it in once its command has started)', () => {
  const session: SessionState = {
    version: STATE_VERSION,
    profile: PROFILE,
    subject: 'alice',
    session_id: 'session-1',
    issuer: 'https://idp.example',
    client_id: 'guard-cli',
    store: 'secret-service',
    login_time: 1_000,
    auth_time: 1_000,
    last_activity: 1_000,
    access_expires_at: null,
  };
  function stateDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'guard-stage-'));
    mkdirSync(join(dir, 'sessions'), { mode: 0o700 });
    writeFileSync(statePath(dir, PROFILE), JSON.stringify(session), { mode: 0o600 });
    return dir;
  }
  const extras = (dir: string) => readdirSync(join(dir, 'sessions')).filter((name) => name !== `${PROFILE}.json`);

  it('is written beside the state and holds the lock until committed; committing twice changes nothing', () => {
    const dir = stateDir();
    const staged = stageActivity(dir, PROFILE, 'session-1', 5_000);
    expect(readState(dir, PROFILE).state?.last_activity).toBe(1_000);
    expect(extras(dir).sort()).toEqual([expect.stringMatching(/^default\.json\..*\.tmp$/), 'default.state.lock']);
    staged.commit();
    staged.commit();
    staged.abandon();
    expect(readState(dir, PROFILE).state?.last_activity).toBe(5_000);
    expect(extras(dir)).toEqual([]);
  });

  it('abandoned, leaves the state as it was and nothing behind', () => {
    const dir = stateDir();
    stageActivity(dir, PROFILE, 'session-1', 5_000).abandon();
    expect(readState(dir, PROFILE).state?.last_activity).toBe(1_000);
    expect(extras(dir)).toEqual([]);
  });

  it('for another session, or an older time, stages nothing and holds no lock', () => {
    const dir = stateDir();
    stageActivity(dir, PROFILE, 'session-2', 5_000);
    stageActivity(dir, PROFILE, 'session-1', 500);
    expect(extras(dir)).toEqual([]);
    touchActivity(dir, PROFILE, 'session-1', 6_000);
    expect(readState(dir, PROFILE).state?.last_activity).toBe(6_000);
  });
});

describe('a staged activity whose lock was taken over (its holder kept it past the stale age)', () => {
  it('is dropped at commit, with an error, and the other writer\'s state stands', () => {
    const dir = mkdtempSync(join(tmpdir(), 'guard-stage-'));
    mkdirSync(join(dir, 'sessions'), { mode: 0o700 });
    const base = { version: STATE_VERSION, profile: PROFILE, subject: 'alice', session_id: 's', issuer: 'https://idp.example', client_id: 'c', store: 'secret-service', login_time: 1, last_activity: 1 };
    writeFileSync(statePath(dir, PROFILE), JSON.stringify(base), { mode: 0o600 });
    const staged = stageActivity(dir, PROFILE, 's', 5_000);
    // Another process breaks the lock as stale, takes it and ends the session.
    const lock = join(dir, 'sessions', `${PROFILE}.state.lock`);
    writeFileSync(lock, '999999 - other', { mode: 0o600 });
    unlinkSync(statePath(dir, PROFILE));
    expect(() => staged.commit()).toThrow(/taken over/);
    expect(readState(dir, PROFILE).state).toBeUndefined(); // the ended session is not brought back
    expect(readdirSync(join(dir, 'sessions'))).toEqual([`${PROFILE}.state.lock`]); // its lock is not ours to remove
  });
});
