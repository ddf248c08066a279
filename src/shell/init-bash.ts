/**
 * `guard shell-init bash`: one function per configured alias that runs the
 * real program through `guard run`. The function finds the program with
 * `type -P` (PATH only: never a function or alias, so it cannot call
 * itself), returns guard's exit code (which is the program's own), and is
 * written with the `function` keyword so an existing alias of the same name
 * is not expanded into the definition. The names are recorded in
 * `__guard_functions`, so a later shell-init or `--uninstall` removes exactly
 * what was defined, even after the config changed.
 */
import { quotePosix } from '../util/shell-quote.ts';

/** Removes the functions a previous shell-init defined (bash and zsh read it the same way). */
export function renderBashUninstall(): string {
  return [
    'if [ -n "${__guard_functions-}" ]; then',
    '  for __guard_f in $__guard_functions; do unset -f "$__guard_f"; done',
    '  unset __guard_f',
    'fi',
    'unset __guard_functions',
    '',
  ].join('\n');
}

/**
 * @param aliases program names, already checked with isFunctionName
 * @param guard the command that runs guard (an absolute path, quoted here)
 */
export function renderBashFunctions(aliases: readonly string[], guard: string): string {
  const lines = [renderBashUninstall().trimEnd()];
  if (aliases.length > 0) lines.push(`__guard_functions=${quotePosix(aliases.join(' '))}`);
  for (const name of aliases) {
    const q = quotePosix(name);
    lines.push(
      `function ${name} {`,
      '  local __guard_bin',
      `  __guard_bin=$(type -P ${q}) || { printf 'guard: %s: command not found\\n' ${q} >&2; return 127; }`,
      `  ${guard} run -- "$__guard_bin" "$@"`,
      '}',
    );
  }
  return `${lines.join('\n')}\n`;
}
