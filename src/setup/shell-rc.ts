/** Where each shell reads its start-up file, and the one line that loads guard's functions there. */
import { join } from 'node:path';
import type { ShellName } from '../shell/shells.ts';

export function rcFile(shell: ShellName, env: NodeJS.ProcessEnv, home: string): string {
  if (shell === 'bash') return join(home, '.bashrc');
  if (shell === 'zsh') return join(env.ZDOTDIR || home, '.zshrc');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'fish', 'config.fish');
}

/** The line for the rc file (SPEC §1 shell-init). */
export function shellInitLine(shell: ShellName): string {
  return shell === 'fish' ? 'guard shell-init fish | source' : `eval "$(guard shell-init ${shell})"`;
}
