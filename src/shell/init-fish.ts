/**
 * `guard shell-init fish`: one function per alias that finds the real
 * program with `command -s` (PATH only, so it never calls itself) and runs
 * it through `guard run`; the function's status is guard's, which is the
 * program's own. The names are kept in the global `__guard_functions`, so a
 * later shell-init or `--uninstall` removes exactly what was defined.
 */
import { quoteFish } from '../util/shell-quote.ts';
import { watchLine, type Freshness } from './init-cache.ts';

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

/** The generated file for fish: the same checks as renderPosixCached (init-bash.ts), in fish. */
export function renderFishCached(fresh: Freshness, functions: string): string {
  const q = quoteFish;
  const cheap = [
    ...fresh.env.map(([name, value]) => `test "$${name}" = ${q(value)}`),
    ...fresh.exists.map(([path, there]) => `${there ? '' : 'not '}test -e ${q(path)}`),
  ];
  return [
    watchLine(fresh),
    '# guard shell integration for fish, written by `guard shell-init fish`: do not edit.',
    '# A new shell sources it (see guard shell-init --help) while nothing it was made from has changed;',
    '# otherwise it runs guard shell-init fish, which writes it anew.',
    'set -l __guard_fresh',
    'set -l __guard_d',
    'set -l __guard_p',
    `if ${cheap.length > 0 ? cheap.join('; and ') : 'true'}`,
    // Not `and …`: right after `if`, a line that starts with `and` would join the condition.
    '    set __guard_d (pwd -P | string replace -r -- \'/$\' \'\')',
    '    while true',
    '        test -f "$__guard_d/.guard.yaml"; and set -a __guard_p "$__guard_d/.guard.yaml"',
    '        test -n "$__guard_d"; or break',
    '        set __guard_d (string replace -r -- \'/[^/]*$\' \'\' "$__guard_d")',
    '    end',
    `    if test (count $__guard_p) = ${fresh.projectFiles.length}; and test "$__guard_p" = ${q(fresh.projectFiles.join(' '))}`,
    '        set __guard_fresh 1',
    '    end',
    'end',
    // Stale: nothing defined, __guard_s left set, and the rc line runs guard shell-init.
    'if test -n "$__guard_fresh"',
    '    set -eg __guard_s',
    functions.trimEnd().replace(/^/gm, '    '),
    'end',
    '',
  ].join('\n');
}
