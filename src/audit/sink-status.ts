/**
 * What the drainer last saw of each sink, for `guard doctor` (SPEC §16: the
 * sink's state and the spool's size): when it last took events, the last
 * problem, and how many old events a full queue has dropped so far.
 * `<state>/audit-spool/<sink>.status.json`, written by the drainer that
 * holds the spool lock (so one writer at a time), atomically, mode 0600.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../files/atomic-write.ts';
import { ensurePrivateDir, parseJsonObject, readPrivateFile } from '../files/private-file.ts';
import { spoolRoot, type SinkName } from './spool.ts';

export interface SinkStatus {
  /** The sink as the drainer named it (no credentials). */
  label: string;
  /** When the drainer last tried (ms). */
  checked_at: number;
  ok: boolean;
  problem?: string;
  /** When the sink last took events (ms). */
  delivered_at?: number;
  /** Events dropped from a full queue, ever. */
  pruned_total: number;
  /** Events dropped unsent, ever: refused for good by the sink (too large), or unreadable spool files. */
  dropped_total?: number;
}

function statusPath(stateDir: string, sink: SinkName): string {
  return join(spoolRoot(stateDir), `${sink}.status.json`);
}

export function readSinkStatus(stateDir: string, sink: SinkName): SinkStatus | undefined {
  const file = readPrivateFile(statusPath(stateDir, sink));
  const record = 'text' in file ? parseJsonObject(file.text) : undefined;
  if (!record || typeof record.checked_at !== 'number' || typeof record.ok !== 'boolean') return undefined;
  return record as unknown as SinkStatus;
}

/** Records one drain of a sink; never throws (a status is for people, the queue is what counts). */
export function recordSinkStatus(stateDir: string, sink: { name: SinkName; label: string }, round: { ok: boolean; problem?: string; sent: number; pruned: number; dropped?: number }, now: number): void {
  const before = readSinkStatus(stateDir, sink.name);
  const status: SinkStatus = {
    label: sink.label,
    checked_at: now,
    ok: round.ok,
    ...(round.problem ? { problem: round.problem } : {}),
    ...(round.sent > 0 ? { delivered_at: now } : before?.delivered_at ? { delivered_at: before.delivered_at } : {}),
    pruned_total: (before?.pruned_total ?? 0) + round.pruned,
  };
  const dropped = (before?.dropped_total ?? 0) + (round.dropped ?? 0);
  if (dropped > 0) status.dropped_total = dropped;
  try {
    ensurePrivateDir(spoolRoot(stateDir));
    writeFileAtomic(statusPath(stateDir, sink.name), `${JSON.stringify(status)}\n`, { durable: false });
  } catch {
    // a full disk: doctor shows the queue without it
  }
}
