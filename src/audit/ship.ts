/**
 * Drains the OTLP spool (see spool.ts): sends spooled events in batches to
 * the collector over OTLP/HTTP JSON and deletes each batch once the
 * collector accepted it (2xx). Anything else — collector down, slow, 5xx —
 * leaves the spool as it is for a later run. One drainer at a time holds
 * the spool lock; a drainer that finds it held leaves, and the holder looks
 * at the spool once more after releasing it, so no event waits for long.
 *
 * @see https://opentelemetry.io/docs/specs/otlp/#otlphttp
 */
import { readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { acquireLock } from '../files/lock.ts';
import { fetchErrorCode } from '../util/net.ts';
import { VERSION } from '../version.ts';
import { buildLogsData, logsEndpoint, type ResourceInfo } from './otlp.ts';
import { parseAuditLine } from './read.ts';
import { drainLockPath, pendingPath, spoolDir } from './spool.ts';
import type { AuditEvent } from './event.ts';

export interface DrainOptions {
  endpoint: string;
  /** Per request (ms). */
  timeout: number;
  fetch?: typeof fetch;
  now?: () => number;
  /** Events per request. */
  batch?: number;
  /** When the collector stays down, only the newest this many events are kept. */
  maxSpooled?: number;
}

export interface DrainResult {
  sent: number;
  /** Spool files that held no valid event and were removed. */
  dropped: number;
  /** Why draining stopped early, if it did. */
  problem?: string;
  /** Another drainer held the lock. */
  busy?: boolean;
}

// A dead drainer's lock is broken at once by its pid; the age limit only guards against pid reuse.
const DRAIN_LOCK = { timeout: 0, stale: 10 * 60_000, what: 'the OTLP spool lock' };
/** A temp file this old was left by a process that died between write and rename. */
const ORPHAN_TEMP_MS = 60_000;

function spooledFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => name.endsWith('.json')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

function remove(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function resource(): ResourceInfo {
  const info: ResourceInfo = { 'service.name': 'guard', 'service.version': VERSION, 'host.name': hostname() };
  try {
    info['user.name'] = userInfo().username;
  } catch {
    // no passwd entry (containers): leave it out
  }
  return info;
}

/** Removes the oldest events beyond the cap and temp files orphaned by crashed writers. */
function prune(dir: string, maxSpooled: number, now: number): void {
  const files = spooledFiles(dir);
  for (const name of files.slice(0, Math.max(0, files.length - maxSpooled))) remove(join(dir, name));
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.tmp')) continue;
    const path = join(dir, name);
    const age = now - (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? now);
    if (age > ORPHAN_TEMP_MS) remove(path);
  }
}

async function sendSpooled(dir: string, options: Required<DrainOptions>, result: DrainResult): Promise<boolean> {
  const url = logsEndpoint(options.endpoint);
  // Messages name the collector without its query string, which may carry a key.
  const shown = `${new URL(url).origin}${new URL(url).pathname}`;
  for (;;) {
    const names = spooledFiles(dir).slice(0, options.batch);
    if (names.length === 0) return true;
    const events: AuditEvent[] = [];
    const paths: string[] = [];
    for (const name of names) {
      const path = join(dir, name);
      const event = parseAuditLine(readFileSync(path, 'utf8').trim());
      if (event) {
        events.push(event);
        paths.push(path);
      } else {
        remove(path);
        result.dropped++;
      }
    }
    if (events.length === 0) continue;
    const body = JSON.stringify(buildLogsData(events, resource(), options.now(), VERSION));
    let response: Response;
    try {
      response = await options.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(options.timeout),
      });
      await response.arrayBuffer();
    } catch (error) {
      result.problem = `the collector at ${shown} did not answer (${(error as Error).name === 'TimeoutError' ? 'timeout' : (fetchErrorCode(error) ?? (error as Error).message)})`;
      return false;
    }
    if (!response.ok) {
      result.problem = `the collector at ${shown} answered HTTP ${response.status}`;
      return false;
    }
    for (const path of paths) remove(path);
    result.sent += events.length;
  }
}

/** Sends everything spooled under `stateDir`. Never throws for network trouble: see `problem`. */
export async function drainSpool(stateDir: string, options: DrainOptions): Promise<DrainResult> {
  const full: Required<DrainOptions> = { fetch: globalThis.fetch, now: Date.now, batch: 200, maxSpooled: 10_000, ...options };
  const dir = spoolDir(stateDir);
  const result: DrainResult = { sent: 0, dropped: 0 };
  for (;;) {
    let lock;
    try {
      lock = await acquireLock(drainLockPath(stateDir), DRAIN_LOCK);
    } catch {
      return { ...result, busy: true };
    } finally {
      // Holding the lock, or leaving it to a holder that looks again when done: either way no longer "on its way".
      remove(pendingPath(stateDir));
    }
    let ok: boolean;
    let attempted: Set<string>;
    try {
      attempted = new Set(spooledFiles(dir));
      ok = await sendSpooled(dir, full, result);
      if (!ok) {
        try {
          prune(dir, full.maxSpooled, full.now());
        } catch {
          // pruning is housekeeping: the next drainer tries again
        }
      }
    } finally {
      lock.release();
    }
    // Events spooled while we held the lock had their drainer stand down for us (busy, or never
    // started: see claimDrainer), so look once more. After a failure, only for those newcomers: the
    // collector may be back, and retrying the rest at once would only fail again.
    const left = spooledFiles(dir);
    if (left.length === 0 || (!ok && left.every((name) => attempted.has(name)))) return result;
  }
}
