/** Where each shell reads its start-up file, and the line that loads guard's functions there. */
import { join } from 'node:path';
import { quotePosix, type ShellName } from '../shell/shells.ts';

export function rcFile(shell: ShellName, env: NodeJS.ProcessEnv, home: string): string {
  if (shell === 'bash') return join(home, '.bashrc');
  if (shell === 'zsh') return join(env.ZDOTDIR || home, '.zshrc');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'fish', 'config.fish');
}

/**
 * The line for the rc file (SPEC §1 shell-init): it sources the file guard
 * keeps in its state folder (shell/init.SHELL, see shell/init-cache.ts) when
 * that is a regular file of the user's own that nobody else may write, and
 * runs `guard shell-init` otherwise. The state folder is found as guard finds
 * it (util/paths.ts). No single quotes, so it can be shown as `echo '…' >> rc`.
 */
export function shellInitLine(shell: ShellName): string {
  if (shell === 'fish') {
    return [
      'if test -n "$GUARD_STATE_DIR"; set -g __guard_rc $GUARD_STATE_DIR; else if test -n "$XDG_STATE_HOME"; set -g __guard_rc $XDG_STATE_HOME/guard; else; set -g __guard_rc $HOME/.local/state/guard; end;',
      'set __guard_rc $__guard_rc/shell/init.fish;',
      'if test -f $__guard_rc; and test -O $__guard_rc; and not test -L $__guard_rc; and set -l __guard_w (command find $__guard_rc -perm -020 -o -perm -002); and test -z "$__guard_w";',
      'source $__guard_rc; else; guard shell-init fish | source; end; set -e __guard_rc',
    ].join(' ');
  }
  return [
    `__guard_rc=\${GUARD_STATE_DIR:-\${XDG_STATE_HOME:-$HOME/.local/state}/guard}/shell/init.${shell};`,
    'if [ -f "$__guard_rc" ] && [ -O "$__guard_rc" ] && [ ! -L "$__guard_rc" ] && [ -z "$(command find "$__guard_rc" -perm -020 -o -perm -002)" ];',
    `then . "$__guard_rc"; else eval "$(guard shell-init ${shell})"; fi; unset __guard_rc`,
  ].join(' ');
}

/** The line guard printed before the generated file (it starts Node in every new shell): still recognised, and still works. */
export function legacyShellInitLine(shell: ShellName): string {
  return shell === 'fish' ? 'guard shell-init fish | source' : `eval "$(guard shell-init ${shell})"`;
}

/** A word to paste into a shell command line: as is when plain, else single-quoted. */
export function shellWord(word: string): string {
  return /^[\w.@:/=+-]+$/.test(word) ? word : quotePosix(word);
}
