/**
 * Time travel for end-to-end tests: moves a profile's session clocks back in
 * its state file (as if that much time had passed), so tests of idle and
 * max_session limits use realistic limits instead of racing real seconds
 * on a loaded machine. The file keeps its 0600 mode.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Sandbox } from './guard.ts';
import { stateFile } from './session-snapshot.ts';

export type SessionClock = 'last_activity' | 'login_time' | 'auth_time' | 'access_expires_at';

/** Moves each named clock back by the given number of milliseconds. */
export function backdateSession(sandbox: Sandbox, by: Partial<Record<SessionClock, number>>): void {
  const file = stateFile(sandbox);
  const state = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  for (const [clock, ms] of Object.entries(by)) {
    if (typeof state[clock] !== 'number') throw new Error(`backdateSession: the state file has no ${clock}`);
    state[clock] = (state[clock] as number) - ms!;
  }
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
}

/** Sets each named clock to a moment (ms since epoch): `Date.now() - 20 * MIN` is "20 minutes ago" whenever the test runs. */
export function setSessionClocks(sandbox: Sandbox, at: Partial<Record<SessionClock, number>>): void {
  const file = stateFile(sandbox);
  const state = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, `${JSON.stringify({ ...state, ...at }, null, 2)}\n`);
}
