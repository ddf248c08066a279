/**
 * Appends audit events to `<state>/audit.jsonl`. Each event is one write(2)
 * to a file opened with O_APPEND, so lines from parallel guard processes
 * never interleave. The size is checked with fstat on the already-open file
 * (no extra path lookup on the hot path) and the log rotates past
 * `audit.max_bytes`. With `audit.ship.otlp` or `audit.syslog` set, the same
 * line is also spooled for each of those sinks (spool.ts). A failure to log
 * never blocks the user's command, but is said on stderr with --verbose.
 */
import { closeSync, constants, fchmodSync, fstatSync, mkdirSync, openSync, writeSync } from 'node:fs';
import type { AuditSettings } from '../deps.ts';
import type { AuditEvent } from './event.ts';
import { auditPath, DEFAULT_MAX_BYTES, rotateIfOver } from './rotate.ts';
import { scheduleShipping, spoolEvent, type SinkName } from './spool.ts';

export { auditPath } from './rotate.ts';

/** Like a state file (SPEC §8, §13): never through a symlink (O_NOFOLLOW), never a file of another user. */
const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

/** `owner`: whose file the log must be (this process's user; a test may judge for another). */
function openAppend(stateDir: string, owner: number | undefined): number {
  let fd: number;
  try {
    fd = openSync(auditPath(stateDir), APPEND, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    fd = openSync(auditPath(stateDir), APPEND, 0o600);
  }
  const info = fstatSync(fd);
  const problem = !info.isFile() ? 'ENOTREG' : owner !== undefined && info.uid !== owner ? 'EFOREIGN' : undefined;
  if (problem) {
    closeSync(fd);
    throw Object.assign(new Error(`${auditPath(stateDir)} is not a regular file of this user`), { code: problem });
  }
  return fd;
}

/** Appends one line (with its newline) in a single write, rotating first when it would pass `maxBytes`. */
export function appendAuditLine(stateDir: string, line: string, maxBytes: number = DEFAULT_MAX_BYTES, owner: number | undefined = process.getuid?.()): void {
  const bytes = Buffer.from(line);
  let fd = openAppend(stateDir, owner);
  try {
    const info = fstatSync(fd);
    // Nothing in the state folder has group or other bits (SPEC §8): repair a loosened log.
    if (info.mode & 0o077) fchmodSync(fd, 0o600);
    const size = info.size;
    if (size > 0 && size + bytes.length > maxBytes) {
      closeSync(fd);
      fd = -1;
      try {
        rotateIfOver(stateDir, maxBytes, bytes.length);
      } catch {
        // Better a log past its cap than a lost line.
      }
      fd = openAppend(stateDir, owner);
    }
    writeSync(fd, bytes);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/**
 * Logs an already-built event: to the audit log, and to the spool of each
 * configured sink, masked exactly as in the log (the same line). Returns a
 * problem to mention, never throws.
 */
export function writeAuditEvent(stateDir: string, event: AuditEvent, settings: AuditSettings = {}, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const line = `${JSON.stringify(event)}\n`;
  try {
    appendAuditLine(stateDir, line, settings.max_bytes);
  } catch (error) {
    return `could not write the audit log (${(error as NodeJS.ErrnoException).code ?? error})`;
  }
  const sinks = (['otlp', 'syslog'] as const).filter((sink) => settings[sink]);
  if (sinks.length === 0) return undefined;
  let sink: SinkName | undefined;
  try {
    for (sink of sinks) spoolEvent(stateDir, sink, line);
    scheduleShipping(stateDir, { otlp: settings.otlp, syslog: settings.syslog }, env);
    return undefined;
  } catch (error) {
    return `could not spool the audit event for ${sink ? settings[sink] : 'the audit sinks'} (${(error as NodeJS.ErrnoException).code ?? error})`;
  }
}
