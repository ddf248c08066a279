import { describe, expect, it } from 'vitest';
import { decideBound, type SessionClocks, type TicketClocks } from '../../src/session/decide.ts';
import { currentTerminal, terminalAlive, ttyName } from '../../src/session/terminal.ts';
import { statFields } from '../../src/util/proc.ts';
import { parseLayer } from '../../src/policy/parse-layer.ts';
import { strictest } from '../../src/policy/merge.ts';

const MIN = 60_000;
const NOW = 1_800_000_000_000;
const session: SessionClocks = { login_time: NOW - 60 * MIN, auth_time: NOW - 1 * MIN, last_activity: NOW, access_expires_at: NOW + 5 * MIN };
const bound = { idle: 15 * MIN, max_session: 8 * 60 * MIN, reauth_within: 10 * MIN, bind: 'terminal' as const };
const ticket: TicketClocks = { auth_time: NOW - 5 * MIN, last_activity: NOW - 1 * MIN };

describe('decideBound (SPEC §10): the clocks of this terminal, the age of the session', () => {
  const table: Array<[string, SessionClocks | undefined, TicketClocks | undefined, string, RegExp?]> = [
    ['no session → login', undefined, ticket, 'login'],
    ['a fresh session but no ticket in this terminal → step-up', session, undefined, 'step_up', /has not authenticated yet/],
    ['a fresh ticket → allow', session, ticket, 'allow'],
    ['the session was just re-authenticated elsewhere, this ticket is old → step-up', session, { ...ticket, auth_time: NOW - 12 * MIN }, 'step_up', /in this terminal: a sign-in in the last 10m is needed; yours was 12m ago/],
    ['this terminal idle past the limit, the session active elsewhere → step-up, not a new login', session, { ...ticket, last_activity: NOW - 16 * MIN }, 'step_up', /in this terminal: idle 16m/],
    ['a ticket cannot outlive max_session → login', { ...session, login_time: NOW - 9 * 60 * MIN }, ticket, 'login', /session age/],
    ['a ticket activity in the future counts as no activity', session, { ...ticket, last_activity: NOW + 60 * MIN }, 'step_up', /future/],
    ['an expired access token with a fresh ticket → refresh', { ...session, access_expires_at: NOW - 1 }, ticket, 'refresh'],
  ];
  it.each(table)('%s', (_name, s, t, action, message) => {
    const decision = decideBound(bound, s, t, NOW);
    expect(decision.action).toBe(action);
    expect('message' in decision ? decision.message : '').toMatch(message ?? /.*/);
  });
});

describe('terminal identity from /proc', () => {
  const proc = (files: Record<string, string>) => (path: string) => {
    if (!(path in files)) throw new Error(`ENOENT ${path}`);
    return files[path]!;
  };
  // pid 4242, comm with spaces and parentheses, ppid 1, pgrp 4242, session 4200, tty_nr 34819 (pts/3)
  const self = '4242 (we (ird) name) S 1 4242 4200 34819 4242 4194560 ' + Array.from({ length: 44 }, (_, i) => String(i)).join(' ');
  const leader = (start: string) => `4200 (sh) S 1 4200 4200 34819 4242 0 0 0 0 0 0 0 0 0 20 0 1 0 ${start} 1000 100`;

  it('parses the fields after the last ")"', () => {
    expect(statFields(self).slice(0, 5)).toEqual(['S', '1', '4242', '4200', '34819']);
  });

  it('names terminals like the kernel numbers them', () => {
    expect(ttyName(34819)).toBe('pts/3');
    expect(ttyName((137 << 8) | 5)).toBe('pts/261');
    expect(ttyName((4 << 8) | 1)).toBe('tty1');
  });

  it('is the tty, the session and the leader start; the same tty with another session or leader is another terminal', () => {
    const a = currentTerminal(proc({ '/proc/self/stat': self, '/proc/4200/stat': leader('777') }));
    expect(a).toEqual({ key: '34819-4200-777', tty: 'pts/3', sid: 4200, leaderStart: '777' });
    const reusedPid = currentTerminal(proc({ '/proc/self/stat': self, '/proc/4200/stat': leader('999') }));
    expect(reusedPid!.key).not.toBe(a!.key);
    expect(terminalAlive(a!.key, proc({ '/proc/4200/stat': leader('999') }))).toBe(false);
    expect(terminalAlive(a!.key, proc({ '/proc/4200/stat': leader('777') }))).toBe(true);
    expect(terminalAlive(a!.key, proc({}))).toBe(false);
  });

  it('no controlling terminal (tty_nr 0), no /proc, or no session leader → no terminal', () => {
    expect(currentTerminal(proc({ '/proc/self/stat': self.replace(' 34819 ', ' 0 '), '/proc/4200/stat': leader('1') }))).toBeUndefined();
    expect(currentTerminal(proc({}))).toBeUndefined();
    expect(currentTerminal(proc({ '/proc/self/stat': self }))).toBeUndefined();
  });
});

describe('config: bind, approve_each, approval', () => {
  const layer = (tiers: string, profile = '') =>
    parseLayer(`version: 1\nprofiles:\n  p:\n    issuer: https://idp.example.com\n    client_id: c\n${profile}tiers:\n${tiers}\n`, 'f.yaml', 'user');

  it('accepts bind: terminal and approve_each, and the strictest merge keeps them', () => {
    const { layer: l, issues } = layer('  a: { idle: 15m, bind: terminal, approve_each: true }\n  b: { idle: 45m }');
    expect(issues).toEqual([]);
    expect(strictest(l.tiers)).toMatchObject({ idle: 15 * MIN, bind: 'terminal', approve_each: true });
  });

  it('refuses another bind value with file:line', () => {
    expect(layer('  a: { bind: session }').issues).toEqual([expect.objectContaining({ line: 7, col: 14, message: 'tiers.a.bind must be "terminal"' })]);
  });

  it('reads approval, and never a secret in the config', () => {
    const ok = layer('  a: { idle: 1m }', '    approval: { method: ciba, login_hint: email, client_id: ap, client_secret_env: AP_SECRET, binding_message_max: 16 }\n');
    expect(ok.issues).toEqual([]);
    expect(ok.layer.profiles[0]!.approval).toEqual({ method: 'ciba', login_hint: 'email', client_id: 'ap', client_secret_env: 'AP_SECRET', binding_message_max: 16 });
    const bad = layer('  a: { idle: 1m }', '    approval: { method: push, client_secret_env: "s3cr3t value" }\n');
    expect(bad.issues.map((i) => i.message)).toEqual([
      'profiles.p.approval.method must be "ciba"',
      'profiles.p.approval.client_secret_env must name an environment variable (the secret itself never goes in the config)',
      'profiles.p.approval needs method: ciba and login_hint: CLAIM',
    ]);
  });
});
