/**
 * `guard shell-init zsh`: like bash (see init-bash.ts), but the program is
 * found with `whence -p` (PATH only), and the name list is split with
 * `${=…}` because zsh does not split words by default.
 */
import { quotePosix } from '../util/shell-quote.ts';
import { renderPosixCached } from './init-bash.ts';
import type { Freshness } from './init-cache.ts';

export function renderZshUninstall(): string {
  return [
    'if [[ -n "${__guard_functions-}" ]]; then',
    '  for __guard_f in ${=__guard_functions}; do unfunction "$__guard_f" 2>/dev/null; done',
    '  unset __guard_f',
    'fi',
    'unset __guard_functions',
    '',
  ].join('\n');
}

/**
 * @param aliases program names, already checked with isFunctionName
 * @param guard the command that runs guard (already quoted)
 */
export function renderZshFunctions(aliases: readonly string[], guard: string): string {
  const lines = [renderZshUninstall().trimEnd()];
  if (aliases.length > 0) lines.push(`typeset -g __guard_functions=${quotePosix(aliases.join(' '))}`);
  for (const name of aliases) {
    const q = quotePosix(name);
    lines.push(
      `function ${name} {`,
      '  local __guard_bin',
      `  __guard_bin=$(whence -p ${q}) || { printf 'guard: %s: command not found\\n' ${q} >&2; return 127; }`,
      `  ${guard} run -- "$__guard_bin" "$@"`,
      '}',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The generated file for zsh: bash's (init-bash.ts), with `${PWD:A}` for the physical working directory. */
export function renderZshCached(fresh: Freshness, functions: string): string {
  return renderPosixCached('zsh', fresh, functions, '  __guard_d=${PWD:A}; __guard_d=${__guard_d%/}');
}
