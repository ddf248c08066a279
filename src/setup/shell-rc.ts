/** Where each shell reads its start-up file, and the one line that loads guard's functions there. */
import { join } from 'node:path';
import type { ShellName } from '../shell/shells.ts';
import { launcherPath } from '../util/runtime.ts';
import { shellWord } from '../util/shell-quote.ts';

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
 * shell word (util/shell-quote.ts: pasteable, no raw control character), so it works whatever PATH a new
 * shell has; else `guard` on PATH.
 */
export function guardWord(self: string | undefined): string {
  const path = launcherPath(self);
  return path ? shellWord(path) : 'guard';
}
