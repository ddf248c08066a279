/** Where each shell reads its start-up file, and the one line that loads guard's functions there. */
import { join } from 'node:path';
import { quotePosix, type ShellName } from '../shell/shells.ts';
import { launcherPath } from '../util/runtime.ts';
import { escapeControl } from '../util/text.ts';

export function rcFile(shell: ShellName, env: NodeJS.ProcessEnv, home: string): string {
  if (shell === 'bash') return join(home, '.bashrc');
  if (shell === 'zsh') return join(env.ZDOTDIR || home, '.zshrc');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'fish', 'config.fish');
}

/** The line for the rc file (SPEC §1 shell-init); `guard` is how it calls guard (guardWord). */
export function shellInitLine(shell: ShellName, guard = 'guard'): string {
  return shell === 'fish' ? `${guard} shell-init fish | source` : `eval "$(${guard} shell-init ${shell})"`;
}

/**
 * How a line guard prints for the user to paste calls guard: this guard's own
 * path (util/runtime.ts launcherPath: the binary, or the npm launcher), as a
 * shell word with control characters escaped, so it works whatever PATH a new
 * shell has; else `guard` on PATH.
 */
export function guardWord(self: string | undefined): string {
  const path = launcherPath(self);
  return path ? shellWord(escapeControl(path)) : 'guard';
}

/** A word to paste into a shell command line: as is when plain, else single-quoted. */
export function shellWord(word: string): string {
  return /^[\w.@:/=+-]+$/.test(word) ? word : quotePosix(word);
}
