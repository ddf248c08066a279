/**
 * Appends audit events to `<state>/audit.jsonl`. Each event is one write(2)
 * to a file opened with O_APPEND, so lines from parallel guard processes
 * never interleave. A failure to log never blocks the user's command, but is
 * said once on stderr.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { buildEvent, type AuditEventName, type AuditFields } from './event.ts';

export function auditPath(stateDir: string): string {
  return join(stateDir, 'audit.jsonl');
}

function openAppend(stateDir: string): number {
  try {
    return openSync(auditPath(stateDir), 'a', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    return openSync(auditPath(stateDir), 'a', 0o600);
  }
}

export function appendAudit(stateDir: string, event: AuditEventName, fields: AuditFields, now: number): string | undefined {
  const line = `${JSON.stringify(buildEvent(event, fields, now))}\n`;
  try {
    const fd = openAppend(stateDir);
    try {
      writeSync(fd, line);
    } finally {
      closeSync(fd);
    }
    return undefined;
  } catch (error) {
    return `could not write the audit log (${(error as NodeJS.ErrnoException).code ?? error})`;
  }
}
