/**
 * Doctor: for each alias in effect (the config's `aliases`), is there a shell
 * function from `guard shell-init` in the user's own shell? Asked of the
 * real thing: `$SHELL -ic` (an interactive shell reads the rc file) reports,
 * per name, whether a function that goes through guard is defined. Without
 * that line a typed `kubectl` runs unguarded, so a missing function fails.
 * Either rc line defines them; the older `eval "$(guard shell-init …)"`
 * starts Node in every new shell, which is worth a warning.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { escapeControl } from '../util/text.ts';
import { isFunctionName, SHELLS, type ShellName } from '../shell/shells.ts';
import { legacyShellInitLine, rcFile, shellInitLine } from '../setup/shell-rc.ts';
import { shellPath as pastePath } from '../util/shell-quote.ts';
import type { CheckResult } from './check.ts';

/** Marks a probe's own output lines among whatever the rc files print. */
const MARK = '__guard_doctor__';

/** Prints `MARK name yes|no` per name: yes when the name is a function that calls guard (its body holds shell-init's `__guard_bin`). */
function probe(shell: ShellName, names: readonly string[]): string {
  const list = names.join(' ');
  if (shell === 'fish') return `for n in ${list}; if functions -q $n; and string match -q '*__guard_bin*' (functions $n | string collect); echo ${MARK} $n yes; else; echo ${MARK} $n no; end; end`;
  const body = shell === 'bash' ? '$(declare -f "$n" 2>/dev/null)' : '$(functions "$n" 2>/dev/null)';
  return `for n in ${list}; do case "${body}" in *__guard_bin*) echo ${MARK} "$n" yes;; *) echo ${MARK} "$n" no;; esac; done`;
}

function runShell(path: string, script: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(path, ['-i', '-c', script], { env, timeout: timeoutMs, encoding: 'utf8', maxBuffer: 1 << 20 }, (error, stdout) => {
      if (stdout.includes(MARK)) resolve(stdout);
      else reject(error ?? new Error('no answer'));
    });
  });
}

export async function checkShell(aliases: readonly string[], env: NodeJS.ProcessEnv, home: string, timeoutMs: number, show: (path: string) => string, guard = 'guard'): Promise<CheckResult[]> {
  const names = [...new Set(aliases)].filter((name) => isFunctionName(name) && name !== 'guard');
  if (names.length === 0) return [{ id: 'shell', status: 'info', summary: 'shell functions: no aliases configured (add e.g. aliases: [kubectl, psql] to route them through guard)' }];
  const shellPath = env.SHELL;
  const shell = shellPath ? SHELLS.find((name) => shellPath.endsWith(`/${name}`)) : undefined;
  if (!shellPath || !shell) {
    return [{ id: 'shell', status: 'warn', summary: `shell functions: cannot tell your shell from $SHELL (${escapeControl(shellPath ?? 'unset')}); not checked`, fix: 'add the line from guard shell-init --help to your shell\'s start-up file' }];
  }
  const rcPath = rcFile(shell, env, home);
  const rc = escapeControl(show(rcPath));
  const add = `${guard} shell-init --rc-line ${shell} >> ${pastePath(rcPath, home)}`;
  let output: string;
  try {
    output = await runShell(shellPath, probe(shell, names), env, timeoutMs);
  } catch (error) {
    return [{ id: 'shell', status: 'warn', summary: `shell functions: ${shell} -ic did not answer (${escapeControl((error as Error).message.split('\n')[0]!)}); not checked`, fix: `make sure ${rc} has the line from guard shell-init --rc-line ${shell}` }];
  }
  const missing = names.filter((name) => !new RegExp(`^${MARK} ${name.replace(/[.+]/g, '\\$&')} yes$`, 'm').test(output));
  if (missing.length > 0) {
    return [{ id: 'shell', status: 'fail', class: 'config', summary: `shell functions (${shell}): ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not routed through guard in a new shell`, fix: add }];
  }
  const summary = `shell functions (${shell}): ${names.join(', ')} run through guard`;
  // Either form of each line: calling guard on PATH, or this guard by its path (what init suggests).
  const holds = (line: (shell: ShellName, guard?: string) => string) => holdsLine(rcPath, line(shell)) || holdsLine(rcPath, line(shell, guard));
  if (holds(legacyShellInitLine) && !holds(shellInitLine)) {
    return [{ id: 'shell', status: 'warn', summary: `${summary}, but ${rc} loads them with ${legacyShellInitLine(shell)}, which starts guard (Node) in every new shell`, fix: `replace that line with the one from ${guard} shell-init --rc-line ${shell} (a few ms instead)` }];
  }
  return [{ id: 'shell', status: 'pass', summary }];
}

/** Does the rc file hold this line (ignoring the indentation)? Unreadable counts as no. */
function holdsLine(rc: string, line: string): boolean {
  try {
    return readFileSync(rc, 'utf8').split('\n').some((text) => text.trim() === line);
  } catch {
    return false;
  }
}
