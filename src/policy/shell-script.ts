/**
 * Placeholders inside the script of `sh|bash|zsh|dash|ksh -c SCRIPT`
 * (SPEC §13 "No shell code from arguments"). Substituting an argument into
 * shell source would let `guard logs 'x; touch pwned'` run code, and no
 * quoting is right in every context (a heredoc, `$(…)`, quotes). So the
 * script never receives a value: each placeholder becomes a reference to a
 * positional parameter (`"${3}"`), and the values follow the script as
 * ordinary argv words, which the shell never parses as code. Pure.
 * @see https://pubs.opengroup.org/onlinepubs/9799919799/utilities/sh.html (-c: command_name, then arguments)
 */
import { basename } from 'node:path';
import { GuardError } from '../errors.ts';

const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'mksh', 'ash', 'yash', 'busybox']);
const PLACEHOLDER = /(?<!\$)\{([^{}$]*)\}/g;

/** Where in `run` the script of a `SHELL -c SCRIPT` sits, if it is one. */
export function shellScriptIndex(run: readonly string[]): number | undefined {
  let i = 0;
  if (run[0] !== undefined && basename(run[0]) === 'env') {
    for (i = 1; i < run.length && (run[i]!.startsWith('-') || run[i]!.includes('=')); i++);
  }
  const program = run[i];
  // A program that is itself a placeholder ({env.SHELL}) may be a shell.
  if (program === undefined || !(SHELLS.has(basename(program)) || program.includes('{'))) return undefined;
  let command = false;
  for (i += 1; i < run.length; i++) {
    const word = run[i]!;
    if (word === '--') return command ? (i + 1 < run.length ? i + 1 : undefined) : undefined;
    if (/^[-+][A-Za-z]+$/.test(word)) {
      if (word.startsWith('-') && word.includes('c')) command = true;
      if (/[oO]$/.test(word)) i += 1; // -o pipefail, -euo pipefail
      continue;
    }
    if (word.startsWith('--')) continue; // --norc, --login
    return command ? i : undefined;
  }
  return undefined;
}

/** `heredoc`: the body of an unquoted `<<WORD` (expands like double quotes); `literal`: of a quoted `<<'WORD'` (expands nothing). */
type Quoting = 'none' | 'single' | 'double' | 'ansi' | 'heredoc' | 'literal';

/** The quoting in force at each placeholder of a script, in order (a small lexer: quotes, backslashes, $(…), heredocs; not backticks). */
export function placeholderQuoting(script: string): Array<{ start: number; end: number; name: string; quoting: Quoting }> {
  const found: Array<{ start: number; end: number; name: string; quoting: Quoting }> = [];
  const starts = new Map<number, RegExpMatchArray>();
  for (const match of script.matchAll(PLACEHOLDER)) starts.set(match.index!, match);
  let quoting = 'none' as Quoting; // (also set by bodyLineStarts)
  const heredocs: Array<{ word: string; expands: boolean }> = [];
  const outer: Array<{ quoting: Quoting; depth: number }> = [];
  for (let i = 0; i < script.length; i++) {
    const match = starts.get(i);
    if (match) {
      found.push({ start: i, end: i + match[0].length, name: match[1]!, quoting });
      i += match[0].length - 1;
      continue;
    }
    const c = script[i];
    if (quoting === 'heredoc' || quoting === 'literal') {
      if (c === '\\' && quoting === 'heredoc') i += 1;
      else if (c === '\n') i = bodyLineStarts(i);
    } else if (quoting === 'single') {
      if (c === "'") quoting = 'none';
    } else if (quoting === 'ansi') {
      if (c === '\\') i += 1;
      else if (c === "'") quoting = 'none';
    } else if (c === '\\') i += 1;
    else if (c === '$' && script[i + 1] === '(') {
      // $(…) starts unquoted again, even inside "…"; its end restores the quoting around it.
      outer.push({ quoting, depth: 0 });
      quoting = 'none';
      i += 1;
    } else if (quoting === 'double') {
      if (c === '"') quoting = 'none';
    } else if (c === '(' && outer.length > 0) outer.at(-1)!.depth += 1;
    else if (c === ')' && outer.length > 0) {
      if (outer.at(-1)!.depth === 0) quoting = outer.pop()!.quoting;
      else outer.at(-1)!.depth -= 1;
    } else if (c === '"') quoting = 'double';
    else if (c === "'") quoting = script[i - 1] === '$' ? 'ansi' : 'single';
    else if (c === '<' && script.startsWith('<<', i) && script[i + 2] !== '<') {
      const heredoc = /^<<-?[ \t]*(?:'([^']*)'|"([^"]*)"|\\?([A-Za-z0-9_]+))/.exec(script.slice(i));
      if (heredoc) {
        heredocs.push({ word: heredoc[1] ?? heredoc[2] ?? heredoc[3]!, expands: heredoc[3] !== undefined && !heredoc[0].includes('\\') });
        i += heredoc[0].length - 1;
      }
    } else if (c === '\n' && heredocs.length > 0) i = bodyLineStarts(i);
  }
  return found;

  /** At a newline inside or before heredoc bodies: skips delimiter lines (tabs stripped for <<-) and sets the quoting of what follows. */
  function bodyLineStarts(newline: number): number {
    let at = newline;
    for (let line = script.slice(at + 1).split('\n')[0]!; heredocs.length > 0 && line.replace(/^\t+/, '') === heredocs[0]!.word; line = script.slice(at + 1).split('\n')[0]!) {
      heredocs.shift();
      at += line.length + 1;
    }
    quoting = heredocs.length === 0 ? 'none' : heredocs[0]!.expands ? 'heredoc' : 'literal';
    return at;
  }
}

/** A problem with placeholders in a shell script (for config check), or undefined. */
export function checkShellScript(script: string): string | undefined {
  const stuck = placeholderQuoting(script).find((p) => p.quoting === 'ansi' || p.quoting === 'literal');
  if (!stuck) return undefined;
  const where = stuck.quoting === 'ansi' ? "inside $'…'" : "in a heredoc with a quoted delimiter (<<'EOF')";
  return `{${stuck.name}} ${where} in a shell script cannot be passed safely; move it out, or unquote the heredoc delimiter`;
}

/**
 * Rewrites a script so each placeholder reads positional parameter `first`,
 * `first + 1`…, and returns the values (by `valueOf`) to append after the
 * script's own arguments.
 */
export function bindShellScript(script: string, first: number, valueOf: (name: string) => string): { script: string; values: string[] } {
  const values: string[] = [];
  let out = '';
  let at = 0;
  for (const p of placeholderQuoting(script)) {
    if (p.quoting === 'ansi' || p.quoting === 'literal') throw new GuardError('config', checkShellScript(script)!);
    const ref = `\${${first + values.length}}`;
    values.push(valueOf(p.name));
    // Unquoted: quoted, so the value stays one word; inside "…" or a heredoc: as is; inside '…': closed and reopened around it.
    out += script.slice(at, p.start) + (p.quoting === 'none' ? `"${ref}"` : p.quoting === 'single' ? `'"${ref}"'` : ref);
    at = p.end;
  }
  return { script: out + script.slice(at), values };
}
