/**
 * Terminal tickets (SPEC §10): for `bind: terminal` tiers, each terminal
 * keeps its own idle clock and step-up freshness, like sudo's per-tty
 * timestamps. One file per profile and terminal in
 * `$GUARD_STATE_DIR/tickets/`, mode 0600, written atomically under a lock,
 * read like every state file (no symlinks, owner and mode checked). A
 * ticket belongs to one sign-in of the profile (its subject and
 * login_time, which a step-up keeps) and dies with its terminal.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, parseJsonObject, readPrivateFile } from '../files/private-file.ts';
import type { TicketClocks } from './decide.ts';
import { acquireLockSync } from '../files/lock.ts';
import type { SessionState } from './state.ts';
import { writeFileAtomic } from '../files/atomic-write.ts';
import { terminalAlive, type Terminal } from './terminal.ts';

const TICKET_VERSION = 1;
const TICKET_LOCK = { timeout: 10_000, stale: 10_000, what: 'the terminal ticket lock' };

export interface Ticket extends TicketClocks {
  version: typeof TICKET_VERSION;
  profile: string;
  /** The sign-in it belongs to: a new login (another login_time or subject) makes every old ticket void. */
  subject: string;
  login_time: number;
  terminal: string;
  tty: string;
}

function ticketDir(stateDir: string): string {
  return join(stateDir, 'tickets');
}

const prefix = (profile: string) => `${encodeURIComponent(profile)}@`;
const fileName = (profile: string, key: string) => `${prefix(profile)}${key}.json`;

function parseTicket(text: string, profile: string, key: string): Ticket | undefined {
  const t = parseJsonObject(text);
  const time = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  if (!t || t.version !== TICKET_VERSION || t.profile !== profile || t.terminal !== key) return undefined;
  if (typeof t.subject !== 'string' || !time(t.login_time) || !time(t.last_activity) || typeof t.tty !== 'string') return undefined;
  if (t.auth_time !== null && !time(t.auth_time)) return undefined;
  return t as unknown as Ticket;
}

/** Does a ticket belong to this session (same sign-in)? */
function belongsTo(ticket: Ticket, state: Pick<SessionState, 'subject' | 'login_time'>): boolean {
  return ticket.subject === state.subject && ticket.login_time === state.login_time;
}

/** This terminal's ticket for the session, if it has a valid one. Never throws. */
export function readTicket(stateDir: string, profile: string, terminal: Terminal, state: Pick<SessionState, 'subject' | 'login_time'>): Ticket | undefined {
  const file = readPrivateFile(join(ticketDir(stateDir), fileName(profile, terminal.key)));
  if (!('text' in file)) return undefined;
  const ticket = parseTicket(file.text, profile, terminal.key);
  return ticket && belongsTo(ticket, state) ? ticket : undefined;
}

/** Runs `work` holding the profile's ticket lock. */
function withTicketLock<T>(stateDir: string, profile: string, work: (dir: string) => T): T {
  const dir = ticketDir(stateDir);
  ensurePrivateDir(dir);
  const lock = acquireLockSync(join(dir, `${encodeURIComponent(profile)}.lock`), TICKET_LOCK);
  try {
    return work(dir);
  } finally {
    lock.release();
  }
}

/**
 * Records an authentication in this terminal (a login or step-up guard ran
 * here): its auth_time and activity now. Prunes the profile's tickets of
 * closed terminals and of older sign-ins on the way.
 */
export function recordTicket(stateDir: string, profile: string, terminal: Terminal, state: SessionState, now: number): void {
  withTicketLock(stateDir, profile, (dir) => {
    prune(dir, profile, state);
    const ticket: Ticket = {
      version: TICKET_VERSION,
      profile,
      subject: state.subject,
      login_time: state.login_time,
      terminal: terminal.key,
      tty: terminal.tty,
      auth_time: state.auth_time ?? null,
      last_activity: now,
    };
    writeFileAtomic(join(dir, fileName(profile, terminal.key)), `${JSON.stringify(ticket, null, 2)}\n`);
  });
}

/** Marks activity in this terminal (an allowed command of a bound tier); only an existing ticket of this sign-in moves. */
export function touchTicket(stateDir: string, profile: string, terminal: Terminal, state: SessionState, now: number): void {
  withTicketLock(stateDir, profile, (dir) => {
    const ticket = readTicket(stateDir, profile, terminal, state);
    if (!ticket || ticket.last_activity >= now) return;
    writeFileAtomic(join(dir, fileName(profile, terminal.key)), `${JSON.stringify({ ...ticket, last_activity: now }, null, 2)}\n`, { durable: false });
  });
}

/** Deletes the profile's tickets whose terminal is gone or whose sign-in is over (all of them without `state`). */
function prune(dir: string, profile: string, state: SessionState | undefined): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!name.startsWith(prefix(profile)) || !name.endsWith('.json')) continue;
    const key = name.slice(prefix(profile).length, -'.json'.length);
    const file = readPrivateFile(join(dir, name));
    const ticket = 'text' in file ? parseTicket(file.text, profile, key) : undefined;
    if (state && ticket && belongsTo(ticket, state) && terminalAlive(key)) continue;
    try {
      unlinkSync(join(dir, name));
      removed += 1;
    } catch {
      // removed by another process meanwhile
    }
  }
  return removed;
}

/** Ends every ticket of a profile (`guard lock`, logout, a session that ended). Returns how many there were. */
export function removeTickets(stateDir: string, profile: string): number {
  return withTicketLock(stateDir, profile, (dir) => prune(dir, profile, undefined));
}
