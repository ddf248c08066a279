/**
 * The local spool for OTLP shipping (`audit.ship.otlp`). Shipping must never
 * delay or fail the wrapped command, so the hot path only writes each event
 * to its own file in `<state>/otlp-spool/` (temp file + rename: a reader sees
 * whole events or none). When the guard process exits it starts a detached
 * `guard report --drain-otlp-spool` in the background, unless one is already
 * under way; that drainer (ship.ts) sends everything spooled — this run's
 * events and any left from runs when the collector was down — and deletes
 * what the collector accepted.
 *
 * One file per event, rather than one spool file, is what lets the drainer
 * delete exactly what it sent while other guards keep adding events.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { uniqueSuffix } from '../util/builtins.ts';
import { selfCommand } from '../util/runtime.ts';
import { ensurePrivateDir } from '../files/private-file.ts';

/** Environment variable that hands the collector URL to the background drainer (never argv: a URL may carry a key). */
export const ENDPOINT_ENV = 'GUARD_OTLP_ENDPOINT';
/** The hidden `guard report` option that runs the drainer (registered in cli.ts). */
export const DRAIN_OPTION = '--drain-otlp-spool';

export function spoolDir(stateDir: string): string {
  return join(stateDir, 'otlp-spool');
}

/** Held by the drainer that is sending (see ship.ts). */
export function drainLockPath(stateDir: string): string {
  return join(stateDir, 'otlp-spool.lock');
}

/** Says "a drainer has been started and has not taken the lock yet"; the drainer removes it once it has. */
export function pendingPath(stateDir: string): string {
  return join(stateDir, 'otlp-spool.pending');
}

/** Markers younger than this are trusted; an older one belongs to a drainer that died before starting. */
const FRESH_MS = 30_000;

function ageOf(path: string): number | undefined {
  const info = statSync(path, { throwIfNoEntry: false });
  return info ? Date.now() - info.mtimeMs : undefined;
}

/**
 * Should this process start a drainer? Not when one is on its way (the
 * pending marker) or sending (the lock): that one lists the spool after
 * this process wrote its events — the holder of the lock looks again once
 * it releases it — so a burst of guard runs starts one drainer, not one each.
 */
export function claimDrainer(stateDir: string): boolean {
  const lockAge = ageOf(drainLockPath(stateDir));
  if (lockAge !== undefined && lockAge < FRESH_MS) return false;
  const pending = pendingPath(stateDir);
  try {
    closeSync(openSync(pending, 'wx', 0o600));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return true;
  }
  if ((ageOf(pending) ?? FRESH_MS) < FRESH_MS) return false;
  const now = new Date();
  utimesSync(pending, now, now);
  return true;
}

let sequence = 0;

/**
 * Writes one audit line to the spool. Names sort by time, so the drainer
 * sends in order; pid and a random part keep parallel writers apart.
 */
export function spoolEvent(stateDir: string, line: string, now: number = Date.now()): string {
  const dir = spoolDir(stateDir);
  ensurePrivateDir(dir);
  const name = `${String(now).padStart(15, '0')}-${process.pid}-${sequence++}-${uniqueSuffix()}`;
  const temp = join(dir, `${name}.tmp`);
  writeFileSync(temp, line, { mode: 0o600, flag: 'wx' });
  const path = join(dir, `${name}.json`);
  renameSync(temp, path);
  return path;
}

let scheduled = false;

/**
 * Arranges for one background drainer when this process exits, however it
 * exits (process.exit included). Spawning costs about 2–3 ms, after the
 * wrapped command has already finished; the drainer is detached, so the
 * shell gets its prompt back at once.
 */
export function scheduleShipping(stateDir: string, endpoint: string, env: NodeJS.ProcessEnv): void {
  if (scheduled) return;
  const self = selfCommand();
  if (!self) return;
  scheduled = true;
  process.once('exit', () => {
    try {
      if (claimDrainer(stateDir)) startDrainer(self, stateDir, endpoint, env);
    } catch {
      // The events stay spooled; the next run's drainer sends them.
    }
  });
}

/** Starts `guard report --drain-otlp-spool` detached, with no stdio, outliving this process. */
export function startDrainer([program, ...args]: readonly [string, ...string[]], stateDir: string, endpoint: string, env: NodeJS.ProcessEnv): void {
  const child = spawn(program, [...args, 'report', DRAIN_OPTION], {
    cwd: stateDir,
    detached: true,
    stdio: 'ignore',
    env: { ...env, GUARD_STATE_DIR: stateDir, [ENDPOINT_ENV]: endpoint },
  });
  child.on('error', () => undefined);
  child.unref();
}
