/**
 * Terminal tickets on disk (SPEC §8, §10): 0600 in a 0700 folder, written
 * atomically; a ticket that is a symlink, writable by others, of another
 * sign-in or of another terminal is no ticket; removeTickets (lock and
 * logout) ends every one. Real files in a temporary state folder.
 */
import { chmodSync, lstatSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readTicket, recordTicket, removeTickets } from '../../src/session/tickets.ts';
import { touchLiveTicket } from '../../src/session/bound.ts';
import type { SessionState } from '../../src/session/state.ts';
import type { Terminal } from '../../src/session/terminal.ts';
import { processStart } from '../../src/util/proc.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'guard-tickets-'));
  dirs.push(dir);
  return dir;
}

// Terminals whose "session leader" is this test process (alive, with its real start time), so pruning keeps their tickets.
const start = processStart(process.pid)!;
const here: Terminal = { key: `34816-${process.pid}-${start}`, tty: 'pts/0', sid: process.pid, leaderStart: start };
const there: Terminal = { ...here, key: `34817-${process.pid}-${start}`, tty: 'pts/1' };
const session = { version: 1, profile: 'p', subject: 'alice', session_id: 's1', issuer: 'https://idp', client_id: 'c', store: 'secret-service', login_time: 1_000, auth_time: 1_000, last_activity: 1_000, access_expires_at: null } as unknown as SessionState;

describe('terminal tickets on disk', () => {
  it('are 0600 in a 0700 folder, and only this terminal and this sign-in read them', () => {
    const dir = stateDir();
    recordTicket(dir, 'p', here, session, 2_000);
    const folder = join(dir, 'tickets');
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    const files = readdirSync(folder).filter((name) => name.endsWith('.json'));
    expect(files).toHaveLength(1);
    expect(statSync(join(folder, files[0]!)).mode & 0o777).toBe(0o600);
    expect(readTicket(dir, 'p', here, session)).toMatchObject({ subject: 'alice', last_activity: 2_000, auth_time: 1_000 });
    expect(readTicket(dir, 'p', there, session)).toBeUndefined();
    expect(readTicket(dir, 'p', here, { subject: 'alice', login_time: 5_000 })).toBeUndefined();
    expect(readTicket(dir, 'p', here, { subject: 'mallory', login_time: 1_000 })).toBeUndefined();
  });

  it('a ticket that is a symlink, or writable by others, is no ticket', () => {
    const dir = stateDir();
    recordTicket(dir, 'p', here, session, 2_000);
    const folder = join(dir, 'tickets');
    const name = readdirSync(folder).find((file) => file.endsWith('.json'))!;
    const path = join(folder, name);
    chmodSync(path, 0o666);
    expect(readTicket(dir, 'p', here, session)).toBeUndefined();
    chmodSync(path, 0o600);
    expect(readTicket(dir, 'p', here, session)).toBeDefined();
    // Another terminal's ticket, linked into this terminal's place.
    recordTicket(dir, 'p', there, session, 3_000);
    const other = readdirSync(folder).find((file) => file.endsWith('.json') && file !== name)!;
    renameSync(path, join(dir, 'moved-away.json'));
    symlinkSync(join(folder, other), path);
    expect(lstatSync(path).isSymbolicLink()).toBe(true);
    expect(readTicket(dir, 'p', here, session)).toBeUndefined();
  });

  it('a ticket whose terminal is gone (another leader start time) is pruned by the next sign-in recorded', () => {
    const dir = stateDir();
    const closed: Terminal = { ...here, key: `34818-${process.pid}-0`, tty: 'pts/2', leaderStart: '0' };
    recordTicket(dir, 'p', closed, session, 2_000);
    expect(readTicket(dir, 'p', closed, session)).toBeDefined();
    recordTicket(dir, 'p', here, session, 3_000);
    expect(readTicket(dir, 'p', closed, session)).toBeUndefined();
    expect(readTicket(dir, 'p', here, session)).toBeDefined();
  });

  it('removeTickets (guard lock, guard logout) ends every ticket of the profile, and only of that profile', () => {
    const dir = stateDir();
    recordTicket(dir, 'p', here, session, 2_000);
    recordTicket(dir, 'p', there, session, 2_000);
    recordTicket(dir, 'q', here, { ...session, profile: 'q' } as SessionState, 2_000);
    expect(removeTickets(dir, 'p')).toBe(2);
    expect(readTicket(dir, 'p', here, session)).toBeUndefined();
    expect(readTicket(dir, 'p', there, session)).toBeUndefined();
    expect(readTicket(dir, 'q', here, session)).toBeDefined();
  });

  it('a ticket file that is not a ticket (garbage) reads as none, never throws', () => {
    const dir = stateDir();
    recordTicket(dir, 'p', here, session, 2_000);
    const folder = join(dir, 'tickets');
    const name = readdirSync(folder).find((file) => file.endsWith('.json'))!;
    writeFileSync(join(folder, name), '{"version": 1, "profile": "p"', { mode: 0o600 });
    expect(readTicket(dir, 'p', here, session)).toBeUndefined();
  });

  it('guard touch (touchLiveTicket) moves a live ticket, never revives an idle or missing one (like sudo -v)', () => {
    const dir = stateDir();
    const limits = { idle: 15 * 60_000 };
    recordTicket(dir, 'p', here, session, 2_000);
    expect(touchLiveTicket(dir, { name: 'p' }, here, limits, session, 2_000 + 10 * 60_000)).toBe(true);
    expect(readTicket(dir, 'p', here, session)!.last_activity).toBe(2_000 + 10 * 60_000);
    // 16 minutes after that touch: the ticket is idle for the bound tier; a touch must not bring it back.
    const late = 2_000 + 26 * 60_000;
    expect(touchLiveTicket(dir, { name: 'p' }, here, limits, session, late)).toBe(false);
    expect(readTicket(dir, 'p', here, session)!.last_activity).toBe(2_000 + 10 * 60_000);
    // Another terminal without a ticket gets none from a touch.
    expect(touchLiveTicket(dir, { name: 'p' }, there, limits, session, late)).toBe(false);
    expect(readTicket(dir, 'p', there, session)).toBeUndefined();
  });
});
