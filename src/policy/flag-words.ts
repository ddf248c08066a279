/**
 * Flags in argv, as most command-line parsers read them (GNU getopt_long,
 * Go's pflag and flag): a long flag is `--name=value` or `--name value`, a
 * short one `-n value`, `-nvalue` or `-n=value`, and short booleans may be
 * clustered (`-rf`). Pure; used by the matcher and by implied words.
 *
 * @see https://www.gnu.org/software/libc/manual/html_node/Argument-Syntax.html
 */

/** A flag named by a pattern or by an implied word: `--context`, `-n`, `-chdir`. */
export interface FlagName {
  name: string;
  /** Whether the flag takes a value (the pattern wrote `=`): then `--name value` uses the next word. */
  takesValue: boolean;
  /** The program accepts a long flag's unambiguous prefix (getopt_long: `psql --ho=x` is `--host=x`). */
  abbreviates?: boolean;
}

/** Where a flag occurs in argv: its value (undefined for a boolean or a missing value) and the words it spans. */
export interface FlagOccurrence {
  value: string | undefined;
  start: number;
  /** Exclusive: the value word of `--name value` is part of the occurrence. */
  end: number;
}

/** A pattern or argv word that is a flag: starts with `-`, is not `-` or `--` alone. */
export function isFlagWord(word: string): boolean {
  return word.length > 1 && word[0] === '-' && word !== '--';
}

/** `-n`: one letter after a single dash (the forms `-nvalue` and clusters apply only to these). */
function isShortName(name: string): boolean {
  return name.length === 2 && name[1] !== '-';
}

/** A cluster of short booleans, `-rf`: letters only after one dash. */
const CLUSTER = /^-[A-Za-z]{2,}$/;

/**
 * The occurrence of `flag` at argv[i], if argv[i] is one; `from` is where
 * flags may start (after the program). Never reads past argv.
 */
export function occurrenceAt(flag: FlagName, argv: readonly string[], i: number): FlagOccurrence | undefined {
  const word = argv[i]!;
  const { name } = flag;
  let rest: string;
  if (word.startsWith(name)) rest = word.slice(name.length);
  else {
    // A boolean short flag inside a cluster of short booleans: `-f` in `-rf`.
    if (!flag.takesValue && isShortName(name) && CLUSTER.test(word) && word.includes(name[1]!)) return { value: undefined, start: i, end: i + 1 };
    const typed = word.split('=', 1)[0]!;
    // getopt_long's abbreviations: `--ho` for `--host` (an ambiguous one makes the program fail, so matching it costs nothing).
    if (!flag.abbreviates || !name.startsWith('--') || typed.length < 3 || !typed.startsWith('--') || !name.startsWith(typed)) return undefined;
    rest = word.slice(typed.length);
  }
  if (!flag.takesValue && isShortName(name) && CLUSTER.test(word)) return { value: undefined, start: i, end: i + 1 };
  if (rest === '') {
    if (!flag.takesValue) return { value: undefined, start: i, end: i + 1 };
    return i + 1 < argv.length ? { value: argv[i + 1], start: i, end: i + 2 } : { value: undefined, start: i, end: i + 1 };
  }
  if (rest[0] === '=') return { value: rest.slice(1), start: i, end: i + 1 };
  // `-nvalue`: only a short flag glues its value on.
  if (flag.takesValue && isShortName(name)) return { value: rest, start: i, end: i + 1 };
  return undefined;
}

/** Every occurrence of `flag` in argv from index `from` on, left to right, never overlapping. */
export function findOccurrences(flag: FlagName, argv: readonly string[], from: number): FlagOccurrence[] {
  const found: FlagOccurrence[] = [];
  for (let i = from; i < argv.length; i++) {
    const occurrence = occurrenceAt(flag, argv, i);
    if (!occurrence) continue;
    found.push(occurrence);
    i = occurrence.end - 1;
  }
  return found;
}
