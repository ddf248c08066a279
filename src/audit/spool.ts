/**
 * The one local spool for every audit sink (`audit.ship.otlp`,
 * `audit.syslog`). A sink must never delay or fail the wrapped command
 * (SPEC §16: never more than 50 ms, nothing lost silently), so the hot path
 * only writes each event, as its masked audit line, to its own file in each
 * configured sink's queue, `<state>/audit-spool/<sink>/` (temp file +
 * rename: a reader sees whole events or none). When the guard process exits
 * it starts one detached `guard report --drain-spool` in the background,
 * unless one is already under way; that drainer (drain.ts) sends each queue
 * oldest first — this run's events and any left from runs when a sink was
 * down — and deletes what the sink took.
 *
 * One file per event, rather than one spool file, is what lets the drainer
 * delete exactly what it sent while other guards keep adding events; one
 * queue per sink lets a sink that is down keep its events while the others
 * are sent.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { uniqueSuffix } from '../util/builtins.ts';
import { selfCommand } from '../util/runtime.ts';
import { ensurePrivateDir } from '../files/private-file.ts';

export type SinkName = 'otlp' | 'syslog';

/** Where each sink is, as the drainer gets it: environment variables, never argv (an OTLP URL may carry a key). */
export interface SinkTargets {
  otlp?: string;
  syslog?: string;
}

export const TARGET_ENV: Record<SinkName, string> = { otlp: 'GUARD_OTLP_ENDPOINT', syslog: 'GUARD_SYSLOG_ADDRESS' };
/** The hidden `guard report` option that runs the drainer (registered in the command table). */
export const DRAIN_OPTION = '--drain-spool';

export function spoolRoot(stateDir: string): string {
  return join(stateDir, 'audit-spool');
}

/** One sink's queue: a file per event, named so that names sort by time. */
export function queueDir(stateDir: string, sink: SinkName): string {
  return join(spoolRoot(stateDir), sink);
}

/** Held by the drainer that is sending (see drain.ts). */
export function drainLockPath(stateDir: string): string {
  return join(stateDir, 'audit-spool.lock');
}

/** Says "a drainer has been started and has not taken the lock yet"; the drainer removes it once it has. */
export function pendingPath(stateDir: string): string {
  return join(stateDir, 'audit-spool.pending');
}

/** Markers younger than this are trusted; an older one belongs to a drainer that died before starting. */
const FRESH_MS = 30_000;

function ageOf(path: string): number | undefined {
  const info = statSync(path, { throwIfNoEntry: false });
  return info ? Date.now() - info.mtimeMs : undefined;
}

/**
 * Should this process start a drainer? Not when one is on its way (the
 * pending marker) or sending (the lock): that one lists the queues after
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
 * Writes one audit line to a sink's queue. Names sort by time, so the
 * drainer sends in order; the pid (syslog's PROCID) and a random part keep
 * parallel writers apart.
 */
export function spoolEvent(stateDir: string, sink: SinkName, line: string, now: number = Date.now()): string {
  const dir = queueDir(stateDir, sink);
  ensurePrivateDir(dir);
  // The sequence is padded: two events of one millisecond keep their order (`…-10-` would sort before `…-9-`).
  const name = `${String(now).padStart(15, '0')}-${process.pid}-${String(sequence++).padStart(6, '0')}-${uniqueSuffix()}`;
  const temp = join(dir, `${name}.tmp`);
  writeFileSync(temp, line, { mode: 0o600, flag: 'wx' });
  const path = join(dir, `${name}.json`);
  renameSync(temp, path);
  return path;
}

/** The pid of the guard that spooled a file, from its name. */
export function spooledPid(name: string): number | undefined {
  const pid = Number(/^\d+-(\d+)-/.exec(name)?.[1]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

let scheduled: SinkTargets | undefined;

/**
 * Arranges for one background drainer when this process exits, however it
 * exits (process.exit included). Spawning costs about 2–3 ms, after the
 * wrapped command has already finished; the drainer is detached, so the
 * shell gets its prompt back at once.
 */
export function scheduleShipping(stateDir: string, targets: SinkTargets, env: NodeJS.ProcessEnv): void {
  if (scheduled) {
    Object.assign(scheduled, targets);
    return;
  }
  const self = selfCommand();
  if (!self) return;
  const all = (scheduled = { ...targets });
  process.once('exit', () => {
    try {
      if (claimDrainer(stateDir)) startDrainer(self, stateDir, all, env);
    } catch {
      // The events stay spooled; the next run's drainer sends them.
    }
  });
}

/** Starts `guard report --drain-spool` detached, with no stdio, outliving this process. */
export function startDrainer([program, ...args]: readonly [string, ...string[]], stateDir: string, targets: SinkTargets, env: NodeJS.ProcessEnv): void {
  const childEnv: NodeJS.ProcessEnv = { ...env, GUARD_STATE_DIR: stateDir };
  for (const sink of Object.keys(TARGET_ENV) as SinkName[]) {
    const target = targets[sink];
    if (target) childEnv[TARGET_ENV[sink]] = target;
    else delete childEnv[TARGET_ENV[sink]];
  }
  const child = spawn(program, [...args, 'report', DRAIN_OPTION], { cwd: stateDir, detached: true, stdio: 'ignore', env: childEnv });
  child.on('error', () => undefined);
  child.unref();
}
