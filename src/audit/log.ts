/**
 * Appends audit events to `<state>/audit.jsonl`. Each event is one write(2)
 * to a file opened with O_APPEND, so lines from parallel guard processes
 * never interleave. The size is checked with fstat on the already-open file
 * (no extra path lookup on the hot path) and the log rotates past
 * `audit.max_bytes`. With `audit.ship.otlp` set, the event is also spooled
 * for the OpenTelemetry shipper. A failure to log never blocks the user's
 * command, but is said on stderr with --verbose.
 */
import { closeSync, constants, fchmodSync, fstatSync, mkdirSync, openSync, writeSync } from 'node:fs';
import type { AuditSettings } from '../deps.ts';
import type { AuditEvent } from './event.ts';
import { auditPath, DEFAULT_MAX_BYTES, rotateIfOver } from './rotate.ts';
import { scheduleShipping, spoolEvent } from './spool.ts';

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
 * Logs an already-built event: to the audit log, and to the OTLP spool when
 * shipping is configured. Returns a problem to mention, never throws.
 */
export function writeAuditEvent(stateDir: string, event: AuditEvent, settings: AuditSettings = {}, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const line = `${JSON.stringify(event)}\n`;
  try {
    appendAuditLine(stateDir, line, settings.max_bytes);
  } catch (error) {
    return `could not write the audit log (${(error as NodeJS.ErrnoException).code ?? error})`;
  }
  if (!settings.otlp) return undefined;
  try {
    spoolEvent(stateDir, line);
    scheduleShipping(stateDir, settings.otlp, env);
    return undefined;
  } catch (error) {
    return `could not spool the audit event for ${settings.otlp} (${(error as NodeJS.ErrnoException).code ?? error})`;
  }
}
