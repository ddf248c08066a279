/**
 * argv read as glibc's getopt_long(3) reads it, for the programs built on it
 * (psql): short options from an optstring (`h:` takes an argument, written
 * `-h v`, `-hv`, or last in a cluster, `-Xhv`), long options as `--name=v`
 * or `--name v` and by any unambiguous prefix (`--ho=v`), `--` ending the
 * options, and GNU permutation — options after non-options still count,
 * unless POSIXLY_CORRECT is set. Pure.
 *
 * @see https://man7.org/linux/man-pages/man3/getopt.3.html
 */

export interface LongOption {
  name: string;
  argument: 'none' | 'required' | 'optional';
  /** The short option it stands for (`host` → `h`), or its own key. */
  key: string;
}

export interface GetoptResult {
  /** Options in the order read: the key (`h`) and its argument. */
  options: Array<{ key: string; value?: string }>;
  /** The non-option arguments, in order. */
  operands: string[];
  /** getopt's own errors (an unknown or ambiguous option, a missing argument): the program stops there. */
  errors: string[];
}

/** `"ab:c"` → a takes none, b one: the argument letters of an optstring. */
function shortOptions(optstring: string): Map<string, boolean> {
  const options = new Map<string, boolean>();
  for (let i = 0; i < optstring.length; i++) {
    const letter = optstring[i]!;
    if (letter === ':' || letter === '+' || letter === '-') continue;
    options.set(letter, optstring[i + 1] === ':');
  }
  return options;
}

/** glibc's long option lookup: an exact name, else the one prefix, else ambiguous unless all candidates are the same option. */
export function findLong(longs: readonly LongOption[], typed: string): LongOption | 'ambiguous' | undefined {
  const exact = longs.find((option) => option.name === typed);
  if (exact) return exact;
  const candidates = longs.filter((option) => option.name.startsWith(typed));
  if (candidates.length === 0) return undefined;
  const first = candidates[0]!;
  return candidates.every((option) => option.key === first.key && option.argument === first.argument) ? first : 'ambiguous';
}

export function getoptLong(args: readonly string[], optstring: string, longs: readonly LongOption[], posixlyCorrect: boolean): GetoptResult {
  const shorts = shortOptions(optstring);
  const result: GetoptResult = { options: [], operands: [], errors: [] };
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (word === '--') {
      result.operands.push(...args.slice(i + 1));
      break;
    }
    if (word.length < 2 || word[0] !== '-') {
      if (posixlyCorrect) {
        result.operands.push(...args.slice(i));
        break;
      }
      result.operands.push(word);
      continue;
    }
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const typed = eq < 0 ? word.slice(2) : word.slice(2, eq);
      const option = findLong(longs, typed);
      if (option === undefined || option === 'ambiguous') {
        result.errors.push(`${option ?? 'unrecognized'} option '--${typed}'`);
        continue;
      }
      if (eq >= 0) {
        if (option.argument === 'none') result.errors.push(`option '--${option.name}' doesn't allow an argument`);
        else result.options.push({ key: option.key, value: word.slice(eq + 1) });
      } else if (option.argument === 'required') {
        if (i + 1 < args.length) result.options.push({ key: option.key, value: args[++i]! });
        else result.errors.push(`option '--${option.name}' requires an argument`);
      } else result.options.push({ key: option.key });
      continue;
    }
    // A cluster of short options: the first that takes an argument takes the rest of the word, or the next word.
    for (let j = 1; j < word.length; j++) {
      const letter = word[j]!;
      const takes = shorts.get(letter);
      if (takes === undefined) {
        result.errors.push(`invalid option -- '${letter}'`);
        continue;
      }
      if (!takes) {
        result.options.push({ key: letter });
        continue;
      }
      if (j + 1 < word.length) result.options.push({ key: letter, value: word.slice(j + 1) });
      else if (i + 1 < args.length) result.options.push({ key: letter, value: args[++i]! });
      else result.errors.push(`option requires an argument -- '${letter}'`);
      break;
    }
  }
  return result;
}
