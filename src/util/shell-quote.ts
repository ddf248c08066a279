/**
 * Shell quoting, the one place for it. `quotePosix` writes a word into
 * generated shell source (shell-init, completion scripts); `shellWord` and
 * `shellLine` write the command lines guard prints for a person to paste
 * (undo lines, "run: guard login --profile …", init's "Next:" lines,
 * doctor's fixes): pasted into sh, bash, zsh or dash, each gives exactly
 * the argv guard meant, and no value (a kubeconfig context, a profile, a
 * file name) can run code.
 *
 * Printed text must also stay free of raw control characters (SPEC §13),
 * and a value holding one (a newline in a context name) cannot be both
 * pasteable in single quotes and free of it. Such a word is written in
 * ANSI-C quoting, `$'…'`, with every control or bidi character, `\` and
 * `'` as `\xHH` bytes (UTF-8): bash, zsh, ksh, busybox sh and POSIX.1-2024
 * shells read it back byte for byte. dash 0.5.12 (Debian's /bin/sh) and
 * fish do not know `$'…'`: there the word reads as a `$` and a plain
 * single-quoted string (dash), or as a syntax error (fish) — a wrong but
 * harmless argument, since the body holds no `'` that could end the quote.
 *
 * @see https://pubs.opengroup.org/onlinepubs/9799919799/utilities/V3_chap02.html#tag_19_02_04
 */
import { hasControl, replaceControl } from './text.ts';

/** Single-quotes a word for fish, where `\` and `'` are the only specials inside single quotes. */
export function quoteFish(word: string): string {
  return `'${word.replace(/[\\']/g, '\\$&')}'`;
}

/** Single-quotes a word for POSIX shells (nothing inside is special). */
export function quotePosix(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Left bare: letters, digits and `_ . / : @ + = -` — no glob, expansion,
 * separator or quote. Not `,` (message text follows a word with one), and
 * not `=` first (zsh expands `=cmd`) nor `~` (tilde expansion).
 */
const BARE = /^[A-Za-z0-9_./:@+-][A-Za-z0-9_./:@+=-]*$/;

const hexBytes = (c: string) => [...Buffer.from(c, 'utf8')].map((byte) => `\\x${byte.toString(16).padStart(2, '0')}`).join('');

/** A word to paste into a shell command line: bare when plain, `$'…'` when it holds a control character, else single-quoted. */
export function shellWord(word: string): string {
  if (BARE.test(word)) return word;
  if (!hasControl(word)) return quotePosix(word);
  return `$'${replaceControl(word.replace(/[\\']/g, hexBytes), hexBytes)}'`;
}

/**
 * A word for a line that a program splits like a shell but without one
 * (Python's shlex, as the aws CLI splits `credential_process`): bare when
 * plain, else single-quoted — never `$'…'`, which no such splitter reads.
 * Control characters come out as they are: refuse them before, where a
 * line cannot carry them.
 */
export function shlexWord(word: string): string {
  return BARE.test(word) ? word : quotePosix(word);
}

/** A command line to paste: each word through shellWord. */
export function shellLine(words: readonly string[]): string {
  return words.map(shellWord).join(' ');
}

/** A path to paste: `~/…` (the tilde left bare, so the shell expands it) under the home folder, else the whole path quoted. */
export function shellPath(path: string, home: string | undefined): string {
  return home && path.startsWith(`${home}/`) && path.length > home.length + 1 ? `~/${shellWord(path.slice(home.length + 1))}` : shellWord(path);
}
