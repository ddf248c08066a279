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
import { watchLine, type Freshness } from './init-cache.ts';

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

/** How bash learns the physical working directory with no process: `cd -P .` and back, OLDPWD kept; unset when it cannot. */
const BASH_PHYSICAL_CWD = '  __guard_o=${OLDPWD-}; if builtin cd -P . 2>/dev/null; then __guard_d=${PWD%/}; builtin cd -- "$OLDPWD" 2>/dev/null; OLDPWD=$__guard_o; else unset __guard_d; fi';

/**
 * The generated file for bash (and, with zsh's own way to the physical
 * working directory, for zsh): its first line lists the paths whose ctime the
 * rc line checks (see init-cache.ts); then the checks of `fresh` that need
 * only builtins, and `functions` when they all hold. Stale, it defines
 * nothing and leaves `__guard_s` set: the rc line then runs `guard
 * shell-init` (which writes the file anew), by guard's own path — the rc
 * line is the one place that calls guard.
 */
export function renderPosixCached(shell: 'bash' | 'zsh', fresh: Freshness, functions: string, physicalCwd = BASH_PHYSICAL_CWD): string {
  const q = quotePosix;
  const cheap = [
    ...fresh.env.map(([name, value]) => `[ "\${${name}-}" = ${q(value)} ]`),
    ...fresh.exists.map(([path, there]) => `[ ${there ? '-e' : '! -e'} ${q(path)} ]`),
  ];
  const vars = '__guard_fresh __guard_o __guard_d __guard_p';
  return [
    watchLine(fresh),
    `# guard shell integration for ${shell}, written by \`guard shell-init ${shell}\`: do not edit.`,
    '# A new shell sources it (see guard shell-init --help) while nothing it was made from has changed;',
    `# otherwise the rc line runs guard shell-init ${shell}, which writes it anew.`,
    '__guard_fresh=',
    `if ${cheap.length > 0 ? cheap.join(' && ') : ':'}; then`,
    physicalCwd,
    '  __guard_p=',
    '  while [ -n "${__guard_d+x}" ]; do',
    `    [ -f "$__guard_d/.guard.yaml" ] && __guard_p="$__guard_p$__guard_d/.guard.yaml"$'\\n'`,
    '    [ -n "$__guard_d" ] || break',
    '    __guard_d=${__guard_d%/*}',
    '  done',
    `  [ -n "\${__guard_d+x}" ] && [ "$__guard_p" = ${q(fresh.projectFiles.map((file) => `${file}\n`).join(''))} ] && __guard_fresh=1`,
    'fi',
    'if [ -n "$__guard_fresh" ]; then',
    `  unset ${vars} __guard_s`,
    functions.trimEnd().replace(/^/gm, '  '),
    'else',
    `  unset ${vars}`,
    'fi',
    '',
  ].join('\n');
}
