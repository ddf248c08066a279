/**
 * The controlling terminal as an output, for a credential helper whose
 * stderr the calling tool captures (the aws CLI shows it only after the
 * helper has exited): a sign-in screen written there is seen while it waits.
 */
import { openSync, writeSync } from 'node:fs';
import { CONTROLLING_TTY } from '../util/controlling-tty.ts';

/** A writer to /dev/tty, or undefined when the process has no controlling terminal. */
export function openTerminalOutput(): ((text: string) => void) | undefined {
  let fd: number;
  try {
    fd = openSync(CONTROLLING_TTY, 'w');
  } catch {
    return undefined;
  }
  return (text) => {
    try {
      writeSync(fd, text);
    } catch {
      // the terminal went away: nothing more to show
    }
  };
}
