/** Where each shell reads its start-up file, and the line that loads guard's functions there. */
import { join } from 'node:path';
import type { ShellName } from '../shell/shells.ts';
import { launcherPath } from '../util/runtime.ts';
import { shellWord } from '../util/shell-quote.ts';

export function rcFile(shell: ShellName, env: NodeJS.ProcessEnv, home: string): string {
  if (shell === 'bash') return join(home, '.bashrc');
  if (shell === 'zsh') return join(env.ZDOTDIR || home, '.zshrc');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'fish', 'config.fish');
}

/**
 * The line for the rc file (SPEC §1 shell-init): it sources the file guard
 * keeps in its state folder (shell/init.SHELL, see shell/init-cache.ts) when
 * its path is absolute, its folder the user's own, and the file a regular
 * file of the user's own that neither group nor others may write, and none of the paths its first line lists changed since it was
 * written (their ctime against its mtime) — one `find` for both, whose paths
 * are checked first so no word of the file can become an option of `find`.
 * Otherwise — and when the file itself finds it is stale (it then defines
 * nothing and leaves `__guard_s` set) — it runs `guard shell-init`, which
 * writes the file anew: this line is the one place a new shell calls guard.
 * The state folder is found as guard finds it (util/paths.ts). `guard` is
 * how it calls guard (this guard's own path, quoted for that shell).
 */
export function shellInitLine(shell: ShellName, guard = 'guard'): string {
  const name = `init.${shell}`;
  // The file itself: not writable by group or others; every other path: no change (ctime) since the file's mtime.
  const tests = (self: string) => `-prune \\( -name ${name} \\( -perm -020 -o -perm -002 \\) -o ! -name ${name} -cnewer ${self} \\)`;
  if (shell === 'fish') {
    return [
      'set -g __guard_s 1; if test -n "$GUARD_STATE_DIR"; set -g __guard_rc $GUARD_STATE_DIR; else if test -n "$XDG_STATE_HOME"; set -g __guard_rc $XDG_STATE_HOME/guard; else; set -g __guard_rc $HOME/.local/state/guard; end;',
      `set __guard_rc $__guard_rc/shell/${name};`,
      'if string match -q -- "/*" $__guard_rc; and test -O (string replace -r -- \'/[^/]*$\' \'\' $__guard_rc); and test -f $__guard_rc; and test -O $__guard_rc; and not test -L $__guard_rc; and read -l -d : -a __guard_w < $__guard_rc; and not string match -q -- "-*" $__guard_w[2..-1];',
      `and set -l __guard_n (command find $__guard_rc $__guard_w[2..-1] ${tests('$__guard_rc')} 2>/dev/null); and test -z "$__guard_n";`,
      `source $__guard_rc; end; if set -q __guard_s; ${guard} shell-init fish | source; end; set -e __guard_rc __guard_s`,
    ].join(' ');
  }
  const [read, rest, words] = shell === 'bash' ? ['read -r -a', '${__guard_w[*]:1}', '"${__guard_w[@]:1}"'] : ['read -r -A', '${__guard_w[2,-1]}', '"${(@)__guard_w[2,-1]}"'];
  return [
    `__guard_s=1; __guard_rc=\${GUARD_STATE_DIR:-\${XDG_STATE_HOME:-$HOME/.local/state}/guard}/shell/${name};`,
    `if [ "\${__guard_rc:0:1}" = / ] && [ -O "\${__guard_rc%/*}" ] && [ -f "$__guard_rc" ] && [ -O "$__guard_rc" ] && [ ! -L "$__guard_rc" ] && IFS=: ${read} __guard_w < "$__guard_rc" && [[ " ${rest}" != *" -"* ]]`,
    `&& __guard_n=$(command find "$__guard_rc" ${words} ${tests('"$__guard_rc"')} 2>/dev/null) && [ -z "$__guard_n" ];`,
    `then . "$__guard_rc"; fi; if [ -n "$__guard_s" ]; then eval "$(${guard} shell-init ${shell})"; fi; unset __guard_rc __guard_w __guard_n __guard_s`,
  ].join(' ');
}

/** The line guard printed before the generated file (it starts Node in every new shell): still recognised, and still works. */
export function legacyShellInitLine(shell: ShellName, guard = 'guard'): string {
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
