/** The controlling terminal, where guard asks its questions (like sudo): /dev/tty, whatever stdin is. */
import { closeSync, openSync } from 'node:fs';

export const CONTROLLING_TTY = '/dev/tty';

/** Can this process open its controlling terminal? Not in a daemon, a CI runner, or a child started with setsid. */
export function hasControllingTerminal(path: string = CONTROLLING_TTY): boolean {
  try {
    closeSync(openSync(path, 'r+'));
    return true;
  } catch {
    return false;
  }
}
