/**
 * Reads the audit log back: the rotated files and the current one, oldest
 * first. A line that is not a JSON object with a `ts` and an `event` (a torn
 * last line after a crash, a hand edit) is skipped and counted, never fatal.
 */
import { GuardError } from '../errors.ts';
import type { AuditEvent } from './event.ts';
import { auditFiles } from './rotate.ts';
import { parseJsonObject, readPrivateFile } from '../files/private-file.ts';

export interface AuditLogContent {
  /** Events in time order (lines of parallel writers may be a little out of order on disk). */
  events: AuditEvent[];
  /** Lines that could not be used. */
  skipped: number;
  /** Files that were read. */
  files: string[];
}

/** One line as an event, or undefined when it is not one. */
export function parseAuditLine(line: string): AuditEvent | undefined {
  const event = parseJsonObject(line);
  if (!event || typeof event.event !== 'string' || typeof event.ts !== 'string' || !Number.isFinite(Date.parse(event.ts))) return undefined;
  return event as unknown as AuditEvent;
}

/** Parses JSONL text; blank lines are neither events nor corrupt. */
export function parseAuditText(text: string): { events: AuditEvent[]; skipped: number } {
  const events: AuditEvent[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const event = parseAuditLine(line);
    if (event) events.push(event);
    else skipped++;
  }
  return { events, skipped };
}

/** Reads every audit file that exists; a missing log is an empty one. */
export function readAuditLog(stateDir: string): AuditLogContent {
  const events: AuditEvent[] = [];
  const files: string[] = [];
  let skipped = 0;
  for (const file of auditFiles(stateDir)) {
    // Read like a state file: no symlink, this user's, nobody else may write it (SPEC §13).
    const read = readPrivateFile(file);
    if ('missing' in read) continue;
    if ('problem' in read) throw new GuardError('io', `the audit log ${file} ${read.problem}; not reading it — remove it (guard starts a new one)`);
    const text = read.text;
    files.push(file);
    const parsed = parseAuditText(text);
    events.push(...parsed.events);
    skipped += parsed.skipped;
  }
  // Array.prototype.sort is stable: events of the same millisecond keep their file order.
  events.sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
  return { events, skipped, files };
}
