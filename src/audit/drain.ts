/**
 * Drains the spool (see spool.ts): each sink's queue is sent oldest first,
 * in batches, and each event's file is deleted once the sink took it.
 * Anything else — a sink down, slow or refusing — leaves the queue as it is
 * for a later run, bounded: past `maxSpooled` events the oldest are dropped,
 * and counted in the sink's status (never silently). One drainer at a time
 * holds the spool lock; a drainer that finds it held leaves, and the holder
 * looks at the queues once more after releasing it, so no event waits long.
 *
 * What "took it" means is the sink's to say (sink-otlp.ts, sink-syslog.ts):
 * an event is deleted only after its sink said so, so a sink that fails
 * half-way may see an event twice, and never loses one.
 */
import { readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { acquireLock } from '../files/lock.ts';
import { ensurePrivateDir, readPrivateFile } from '../files/private-file.ts';
import { parseAuditLine } from './read.ts';
import { drainLockPath, pendingPath, queueDir, spooledPid, type SinkName } from './spool.ts';
import { recordSinkStatus } from './sink-status.ts';
import type { AuditEvent } from './event.ts';

export interface SpooledEvent {
  event: AuditEvent;
  /** The audit line as logged (without its newline). */
  line: string;
  /** The guard process that logged it (syslog's PROCID). */
  pid: number;
}

export interface SendResult {
  delivered: number;
  problem?: string;
  refused?: boolean;
}

export interface Sink {
  name: SinkName;
  /** How messages and `guard doctor` name it: no credentials. */
  label: string;
  /**
   * Sends the events in order; says how many of the first ones the sink
   * took, and why it stopped if it did. `refused`: the sink will never take
   * what it stopped at (too large: EMSGSIZE, HTTP 413, past logger's size) —
   * the event at `delivered`, or, for a sink that takes a batch whole or not
   * at all, the batch from there.
   */
  send(events: readonly SpooledEvent[]): Promise<SendResult>;
}

export interface DrainOptions {
  now?: () => number;
  /** Events per send. */
  batch?: number;
  /** When a sink stays down, only the newest this many of its events are kept. */
  maxSpooled?: number;
}

export interface SinkOutcome {
  sent: number;
  /**
   * Events removed unsent: spool files that held no valid event or were no
   * private file of this user (a symlink), and events the sink refuses for
   * good (too large), which would otherwise block the queue forever.
   */
  dropped: number;
  /** Old events removed because the queue was full. */
  pruned: number;
  /** Why draining stopped early, if it did. */
  problem?: string;
}

export interface DrainResult {
  sinks: Partial<Record<SinkName, SinkOutcome>>;
  /** Another drainer held the lock. */
  busy?: boolean;
}

// A dead drainer's lock is broken at once by its pid; the age limit only guards against pid reuse.
const DRAIN_LOCK = { timeout: 0, stale: 10 * 60_000, what: 'the audit spool lock' };
/** A temp file this old was left by a process that died between write and rename. */
const ORPHAN_TEMP_MS = 60_000;
export const DEFAULT_MAX_SPOOLED = 10_000;

/** The queue's event files, oldest first. */
export function queuedFiles(dir: string): string[] {
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

/** Removes the oldest events beyond the cap and temp files orphaned by crashed writers; returns how many events went. */
function prune(dir: string, maxSpooled: number, now: number): number {
  const files = queuedFiles(dir);
  const over = files.slice(0, Math.max(0, files.length - maxSpooled));
  for (const name of over) remove(join(dir, name));
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.tmp')) continue;
    const path = join(dir, name);
    const age = now - (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? now);
    if (age > ORPHAN_TEMP_MS) remove(path);
  }
  return over.length;
}

/** prune, as housekeeping: a failure leaves it to the next drainer. */
function tryPrune(dir: string, options: Required<DrainOptions>): number {
  try {
    return prune(dir, options.maxSpooled, options.now());
  } catch {
    return 0;
  }
}

/** Events an older guard spooled for OTLP in `<state>/otlp-spool/` join the OTLP queue. */
function adoptLegacyQueue(stateDir: string, sink: SinkName, dir: string): void {
  if (sink !== 'otlp') return;
  const legacy = join(stateDir, 'otlp-spool');
  const names = queuedFiles(legacy);
  if (names.length === 0) return;
  ensurePrivateDir(dir);
  for (const name of names) {
    try {
      renameSync(join(legacy, name), join(dir, name));
    } catch {
      // taken by a drainer of the older version
    }
  }
}

async function drainQueue(stateDir: string, sink: Sink, options: Required<DrainOptions>, outcome: SinkOutcome): Promise<boolean> {
  const dir = queueDir(stateDir, sink.name);
  delete outcome.problem;
  // The delivery probe, one for every sink: the first event goes alone, and the rest only once the
  // sink confirmed it. A sink that is down refuses one event, not a batch half-way (logger), and one
  // whose refusal comes late (UDP's ICMP answer) is caught by the sink's confirmation before the
  // next batch, never counted as sent (sink-syslog.ts).
  let probed = false;
  let batch = options.batch;
  for (;;) {
    const names = queuedFiles(dir).slice(0, probed ? batch : 1);
    if (names.length === 0) return true;
    const events: SpooledEvent[] = [];
    const paths: string[] = [];
    for (const name of names) {
      const path = join(dir, name);
      // Like a state file (SPEC §8, §13): never through a symlink, only this user's, nobody else may write it.
      const file = readPrivateFile(path);
      if ('missing' in file) continue; // removed meanwhile (pruned by another version's drainer)
      const line = 'text' in file ? file.text.trim() : '';
      const event = line === '' ? undefined : parseAuditLine(line);
      if (event) {
        events.push({ event, line, pid: spooledPid(name) ?? process.pid });
        paths.push(path);
      } else {
        remove(path);
        outcome.dropped++;
      }
    }
    if (events.length === 0) continue;
    const sent = await sink.send(events);
    const delivered = Math.max(0, Math.min(sent.delivered, events.length));
    for (const path of paths.slice(0, delivered)) remove(path);
    outcome.sent += delivered;
    probed ||= delivered > 0;
    if (sent.refused && delivered < events.length) {
      // Refused for good: one event is dropped (and counted), so it cannot block the queue's head
      // forever; a batch refused whole (HTTP 413) is tried in halves until the one event is found.
      if (events.length - delivered === 1) {
        remove(paths[delivered]!);
        outcome.dropped++;
        batch = options.batch;
      } else batch = Math.max(1, Math.floor((events.length - delivered) / 2));
      continue;
    }
    if (sent.problem !== undefined || delivered < events.length) {
      outcome.problem = sent.problem ?? `${sink.label} took ${delivered} of ${events.length} events`;
      return false;
    }
  }
}

async function drainSink(stateDir: string, sink: Sink, options: Required<DrainOptions>, outcome: SinkOutcome): Promise<{ ok: boolean; attempted: Set<string> }> {
  const dir = queueDir(stateDir, sink.name);
  adoptLegacyQueue(stateDir, sink.name, dir);
  if (queuedFiles(dir).length === 0) return { ok: true, attempted: new Set() };
  // Bounded before sending too, not only after a failure: a queue that grew past the bound
  // (a lower bound now, many guards spooling while no drainer ran) never sends more than it keeps.
  let pruned = tryPrune(dir, options);
  const attempted = new Set(queuedFiles(dir));
  const sentBefore = outcome.sent;
  const droppedBefore = outcome.dropped;
  const ok = await drainQueue(stateDir, sink, options, outcome);
  if (!ok) pruned += tryPrune(dir, options);
  outcome.pruned += pruned;
  recordSinkStatus(stateDir, sink, { ok, problem: outcome.problem, sent: outcome.sent - sentBefore, pruned, dropped: outcome.dropped - droppedBefore }, options.now());
  return { ok, attempted };
}

/** Sends every sink's queue under `stateDir`. Never throws for network trouble: see each outcome's `problem`. */
export async function drainSpool(stateDir: string, sinks: readonly Sink[], options: DrainOptions = {}): Promise<DrainResult> {
  const full: Required<DrainOptions> = { now: Date.now, batch: 200, maxSpooled: DEFAULT_MAX_SPOOLED, ...options };
  const result: DrainResult = { sinks: Object.fromEntries(sinks.map((sink) => [sink.name, { sent: 0, dropped: 0, pruned: 0 }])) };
  let active = [...sinks];
  while (active.length > 0) {
    let lock;
    try {
      lock = await acquireLock(drainLockPath(stateDir), DRAIN_LOCK);
    } catch {
      return { ...result, busy: true };
    } finally {
      // Holding the lock, or leaving it to a holder that looks again when done: either way no longer "on its way".
      remove(pendingPath(stateDir));
    }
    let rounds: Array<{ sink: Sink; ok: boolean; attempted: Set<string> }>;
    try {
      // In parallel: a sink that is slow to fail never holds up the others.
      rounds = await Promise.all(active.map(async (sink) => ({ sink, ...(await drainSink(stateDir, sink, full, result.sinks[sink.name]!)) })));
    } finally {
      lock.release();
    }
    // Events spooled while we held the lock had their drainer stand down for us (busy, or never
    // started: see claimDrainer), so look once more. After a failure, only for those newcomers: the
    // sink may be back, and retrying the rest at once would only fail again.
    active = rounds
      .filter(({ sink, ok, attempted }) => {
        const left = queuedFiles(queueDir(stateDir, sink.name));
        return left.length > 0 && (ok || left.some((name) => !attempted.has(name)));
      })
      .map(({ sink }) => sink);
  }
  return result;
}
