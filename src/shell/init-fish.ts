/**
 * `guard shell-init fish`: one function per alias that finds the real
 * program with `command -s` (PATH only, so it never calls itself) and runs
 * it through `guard run`; the function's status is guard's, which is the
 * program's own. The names are kept in the global `__guard_functions`, so a
 * later shell-init or `--uninstall` removes exactly what was defined.
 */
import { quoteFish } from './shells.ts';

export function renderFishUninstall(): string {
  return [
    'if set -q __guard_functions',
    '    for __guard_f in $__guard_functions',
    '        functions --erase $__guard_f',
    '    end',
    '    set --erase __guard_f',
    '    set --erase __guard_functions',
    'end',
    '',
  ].join('\n');
}

/**
 * @param aliases program names, already checked with isFunctionName
 * @param guard the command that runs guard (already quoted for fish)
 */
export function renderFishFunctions(aliases: readonly string[], guard: string): string {
  const lines = [renderFishUninstall().trimEnd()];
  if (aliases.length > 0) lines.push(`set -g __guard_functions ${aliases.map(quoteFish).join(' ')}`);
  for (const name of aliases) {
    const q = quoteFish(name);
    lines.push(
      `function ${name} --description ${quoteFish(`${name}, through guard run`)}`,
      `    set -l __guard_bin (command -s ${q})`,
      '    or begin',
      `        printf 'guard: %s: command not found\\n' ${q} >&2`,
      '        return 127',
      '    end',
      `    ${guard} run -- $__guard_bin $argv`,
      'end',
    );
  }
  return `${lines.join('\n')}\n`;
}
