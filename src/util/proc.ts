/** Reading /proc (Linux): process start times, for locks (a reused pid) and terminals (SPEC §10). */
import { readFileSync } from 'node:fs';

/** The fields of a /proc/PID/stat line after the command name (field 3 onward); the name may hold spaces and parentheses. */
export function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).trim().split(' ');
}

/** The start time (field 22) of a process, or undefined when it is gone. */
export function processStart(pid: number, read: (path: string) => string = readProc): string | undefined {
  try {
    return statFields(read(`/proc/${pid}/stat`))[19];
  } catch {
    return undefined;
  }
}

export function readProc(path: string): string {
  return readFileSync(path, 'utf8');
}
