/**
 * The `user` of every audit line (SPEC §16): a session's lines name its
 * person (the readable name `guard status` shows, else the subject), and a
 * line without a live session names the person the state folder remembers.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditUserOf } from '../../src/session/audit-user.ts';
import { rememberSubject } from '../../src/session/last-subject.ts';
import { sessionFields, STATE_VERSION, updateState, type SessionState } from '../../src/session/state.ts';

const state = (profile: string, extra: Partial<SessionState> = {}): SessionState => ({
  version: STATE_VERSION,
  profile,
  subject: '4f2c9a',
  session_id: `sid-${profile}`,
  issuer: 'https://idp.example.com',
  client_id: 'guard-cli',
  store: 'secret-service',
  login_time: 1,
  auth_time: 1,
  last_activity: 1,
  access_expires_at: null,
  ...extra,
});
const dir = () => join(mkdtempSync(join(tmpdir(), 'guard-user-')), 'state');

describe('the user on an audit line', () => {
  it('is the session\'s readable name, else its subject', () => {
    expect(sessionFields(state('p', { display_name: 'alice@example.test' }))).toEqual({ session_id: 'sid-p', user: 'alice@example.test' });
    expect(sessionFields(state('p'))).toEqual({ session_id: 'sid-p', user: '4f2c9a' });
  });

  it('without a session in hand: the profile\'s session, else the person it last signed in as', () => {
    const d = dir();
    updateState(d, 'work', () => state('work', { display_name: 'alice' }));
    expect(auditUserOf(d, 'work')).toBe('alice');
    rememberSubject(d, 'old', 'https://idp.example.com', '4f2c9a', 'alice');
    expect(auditUserOf(d, 'old')).toBe('alice');
    // A record of an older guard has the subject only.
    mkdirSync(join(d, 'subjects'), { recursive: true });
    writeFileSync(join(d, 'subjects', 'legacy.json'), JSON.stringify({ version: 1, profile: 'legacy', issuer: 'x', subject: 'sub-9' }), { mode: 0o600 });
    expect(auditUserOf(d, 'legacy')).toBe('sub-9');
    expect(auditUserOf(d, 'never')).toBeNull();
  });

  it('with no profile at all: the one person the state folder remembers, or nobody when it remembers several', () => {
    const d = dir();
    expect(auditUserOf(d, undefined)).toBeNull();
    rememberSubject(d, 'a', 'https://idp.example.com', 's', 'alice');
    rememberSubject(d, 'b', 'https://other.example.com', 't', 'alice');
    expect(auditUserOf(d, undefined)).toBe('alice');
    rememberSubject(d, 'c', 'https://idp.example.com', 'u', 'bob');
    expect(auditUserOf(d, undefined)).toBeNull();
  });
});
