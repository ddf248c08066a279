/**
 * Which terminal a process belongs to (SPEC §10), like sudo's
 * `timestamp_type=tty`: the controlling terminal's device, the session id,
 * and the start time of that session's leader, so a terminal that closed
 * and a new one that got the same tty device (or a reused session id) are
 * different terminals. Read from /proc (Linux); elsewhere, and for a
 * process without a controlling terminal, there is none.
 */
import { processStart, readProc, statFields } from '../util/proc.ts';

export interface Terminal {
  /** The key tickets are filed under: `tty_nr-sid-leader start`. */
  key: string;
  /** The tty's name for people and the audit log (`pts/3`). */
  tty: string;
  /** The session id (the session leader's pid). */
  sid: number;
  /** The session leader's start time, in clock ticks since boot. */
  leaderStart: string;
}

/** A device number's name, the way the kernel numbers terminals (devices.txt): pts/N, ttyN, ttySN, else major:minor. */
export function ttyName(ttyNr: number): string {
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return `pts/${(major - 136) * 256 + minor}`;
  if (major === 4 && minor < 64) return `tty${minor}`;
  if (major === 4) return `ttyS${minor - 64}`;
  return `tty ${major}:${minor}`;
}

/**
 * This process's terminal, or undefined without a controlling terminal (or
 * without /proc). `read` is for tests: it gets /proc paths.
 */
export function currentTerminal(read: (path: string) => string = readProc): Terminal | undefined {
  let fields: string[];
  try {
    fields = statFields(read('/proc/self/stat'));
  } catch {
    return undefined;
  }
  // Field 6 is the session id, field 7 the controlling terminal (0: none).
  const sid = Number(fields[3]);
  const ttyNr = Number(fields[4]);
  if (!Number.isInteger(sid) || sid <= 0 || !Number.isInteger(ttyNr) || ttyNr === 0) return undefined;
  const leaderStart = processStart(sid, read);
  // A session whose leader is gone (an orphaned session keeps its tty) is not a terminal anyone can vouch for.
  if (leaderStart === undefined) return undefined;
  return { key: `${ttyNr}-${sid}-${leaderStart}`, tty: ttyName(ttyNr), sid, leaderStart };
}

/** The name of another process's controlling terminal (`pts/3`), or undefined without one (or when it is gone). */
export function terminalOf(pid: number, read: (path: string) => string = readProc): string | undefined {
  try {
    const ttyNr = Number(statFields(read(`/proc/${pid}/stat`))[4]);
    return Number.isInteger(ttyNr) && ttyNr !== 0 ? ttyName(ttyNr) : undefined;
  } catch {
    return undefined;
  }
}

/** Is the terminal behind a ticket key still there (its session leader alive, with the same start time)? */
export function terminalAlive(key: string, read: (path: string) => string = readProc): boolean {
  const [, sid, start] = key.split('-');
  const pid = Number(sid);
  return Number.isInteger(pid) && pid > 0 && start !== undefined && processStart(pid, read) === start;
}
