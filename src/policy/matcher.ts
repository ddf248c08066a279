/**
 * Word-glob patterns over argv (SPEC §2): `*` matches within one word, `**`
 * any number of words, anything else literally. A pattern word that starts
 * with `-` is a flag word: it matches that flag anywhere after the program,
 * in any of its written forms (see flag-words.ts), and the pattern's `=`
 * says the flag takes a value. The other words match in order among the
 * argv words left once the pattern's flags (and their values) are taken
 * out, passing over other flag words (before a `--`). A pattern without
 * flag words matches exactly as before.
 *
 * Cost: one pass over argv per flag word, then dynamic programming over
 * (pattern word, argv word): O(P·N), no backtracking blow-up even for a
 * 20,000-word argv.
 */
import { findOccurrences, isFlagWord, type FlagName } from './flag-words.ts';
import { looksLikeUrl, normalizeUrlGlob } from '../util/normalize-url.ts';
import { normalizeHost } from '../util/normalize-host.ts';

type PatternWord = { kind: 'any-words' } | { kind: 'word'; parts: readonly string[] };
export interface FlagPattern extends FlagName {
  /** The value's glob split on `*`, when the pattern gives one (`--context=prod*`). */
  value?: readonly string[];
  /** The same glob for a host value (caseless): lower-case, and a plain host in normalize-host.ts's form. */
  hostValue?: readonly string[];
}

export interface Pattern {
  words: readonly PatternWord[];
  flags: readonly FlagPattern[];
}

/**
 * A flag value that argv does not say but the program takes from elsewhere
 * (SPEC §2, implied words). `value` undefined: the source could not be read,
 * and the flag matches whatever the pattern asks (fail closed).
 */
export interface ImpliedFlag {
  name: string;
  value: string | undefined;
  /** The value names a host (a server URL, a database host): rules match it case-insensitively (SPEC §14). */
  caseless?: boolean;
}

/** Marks on an argv word (ProgramFacts.marks). */
export const WORD_CASELESS = 1;
/** The word is `--name=` with a value that could not be read: it stands for every value (fail closed). */
export const WORD_UNKNOWN = 2;

/** Returns an error message for a bad pattern, or undefined when it is fine. */
export function checkPattern(text: string): string | undefined {
  if (text.trim() === '') return 'empty pattern';
  for (const word of splitWords(text)) {
    if (word.includes('**') && word !== '**') return `"**" must be a word of its own (in "${word}")`;
  }
  return undefined;
}

/** `--context=prod*` → the flag `--context` taking a value matching `prod*`; a `*` in the name keeps it a plain word. */
function flagPattern(word: string): FlagPattern | undefined {
  if (!isFlagWord(word)) return undefined;
  const eq = word.indexOf('=');
  const name = eq < 0 ? word : word.slice(0, eq);
  if (name.includes('*') || name.length < 2) return undefined;
  if (eq < 0) return { name, takesValue: false };
  const value = normalizeUrlGlob(word.slice(eq + 1));
  return { name, takesValue: true, value: value.split('*'), hostValue: hostGlob(value).split('*') };
}

/**
 * A rule's value glob as host values are compared (SPEC §14): `10.0.0.5`
 * matches `-h 10.0.5` and `prod-db.example.com.` matches `prod-db.example.com`.
 * A glob cannot be read as a number; its end still loses a trailing `.`.
 */
function hostGlob(value: string): string {
  if (looksLikeUrl(value)) return value.toLowerCase();
  return value.includes('*') ? value.toLowerCase().replace(/([^*])\.+$/, '$1') : normalizeHost(value, { inetAton: true });
}

/**
 * A host value (a database host, a server) in the form rules are compared
 * in: a URL comes normalised from its resolver; a plain host is read as
 * libpq reads it (numeric IPv4 spellings as inet_aton does).
 */
function hostValueOf(value: string): string {
  return looksLikeUrl(value) ? value.toLowerCase() : normalizeHost(value, { inetAton: true });
}

export function compilePattern(text: string): Pattern {
  const problem = checkPattern(text);
  if (problem) throw new Error(problem);
  const words: PatternWord[] = [];
  const flags: FlagPattern[] = [];
  for (const word of splitWords(text)) {
    const flag = flagPattern(word);
    if (flag) flags.push(flag);
    // A URL in a rule is compared in its normalised form (SPEC §14), like the targets it is matched against.
    else words.push(word === '**' ? { kind: 'any-words' } : { kind: 'word', parts: normalizeUrlGlob(word).split('*') });
  }
  return { words, flags };
}

function splitWords(text: string): string[] {
  return text.trim().split(/\s+/);
}

/** The flag names a pattern's flag words use: `["--context"]` for `kubectl ** --context=prod*`. */
export function patternFlagNames(pattern: Pattern): string[] {
  return pattern.flags.map((flag) => flag.name);
}

/** Whether the pattern could match a command of this program at all (its first word, unless it starts with `**`). */
export function patternMayMatchProgram(pattern: Pattern, program: string, programPath = program): boolean {
  const first = pattern.words[0];
  if (!first || first.kind === 'any-words') return true;
  return matchWord(first.parts, program) || matchWord(first.parts, programPath);
}

/**
 * Whether a plain (non-flag) word of the pattern after the program could
 * match an implied `--flag=value` word added after the typed ones (SPEC §2
 * v3): a glob such as `*prod*` or `--h*`. Then every implied word matters.
 */
export function patternWordsMayTakeImplied(pattern: Pattern): boolean {
  return pattern.words.some((word, i) => i > 0 && word.kind === 'word' && word.parts.length > 1 && ('--'.startsWith(word.parts[0]!) || word.parts[0]!.startsWith('--')));
}

/** What the matcher knows about argv's program (see flag-aliases.ts and implied-words.ts). */
export interface ProgramFacts {
  /** Flags the program takes from elsewhere; they count as typed. */
  implied?: readonly ImpliedFlag[];
  /** A flag name → its other spellings (`--host` → `-h` for psql). */
  aliases?: ReadonlyMap<string, readonly string[]>;
  /** The program accepts unambiguous prefixes of long flags (getopt_long). */
  abbreviates?: boolean;
  /** Per argv word: WORD_CASELESS and WORD_UNKNOWN bits (implied words added after the typed ones). */
  marks?: Uint8Array;
}

export function matchPattern(pattern: Pattern, argv: readonly string[], facts: ProgramFacts = {}): boolean {
  if (pattern.flags.length === 0) return matchWords(pattern.words, argv, undefined, facts.marks);
  const { implied = [], aliases, abbreviates = false, marks } = facts;
  // Flags count only after the program: argv[0] is never a flag. taken: 1 by any flag, 2 by a flag with a value.
  const taken = new Uint8Array(argv.length);
  // Flags with values first: `-cprod` is -c's value when the pattern says -c takes one, not a cluster holding -r.
  for (const flag of [...pattern.flags].sort((a, b) => Number(b.takesValue) - Number(a.takesValue))) {
    let found = false;
    for (const name of [flag.name, ...(aliases?.get(flag.name) ?? [])]) {
      for (const occurrence of findOccurrences({ name, takesValue: flag.takesValue, abbreviates }, argv, 1)) {
        if (!flag.takesValue && taken[occurrence.start] === 2) continue;
        taken.fill(flag.takesValue ? 2 : 1, occurrence.start, occurrence.end);
        const mark = marks?.[occurrence.start] ?? 0;
        found ||= mark & WORD_UNKNOWN ? true : flagValueMatches(flag, occurrence.value, (mark & WORD_CASELESS) !== 0);
      }
    }
    for (const word of implied) {
      if ((word.name === flag.name || aliases?.get(flag.name)?.includes(word.name)) && (word.value === undefined || flagValueMatches(flag, word.value, word.caseless === true))) found = true;
    }
    if (!found) return false;
  }
  const kept = argv.flatMap((_, i) => (taken[i] === 0 ? [i] : []));
  const rest = kept.map((i) => argv[i]!);
  // Other flags (`--watch`, `-v=5`) are flags to the program too, not its words: the other words may pass over them.
  const end = rest.indexOf('--');
  const optional = Uint8Array.from(rest, (word, i) => Number(i > 0 && (end < 0 || i < end) && isFlagWord(word)));
  return matchWords(pattern.words, rest, optional, marks && Uint8Array.from(kept, (i) => marks[i]!));
}

/**
 * Whether a flag word of a pattern accepts a value (undefined: unknown, which
 * every value glob accepts — fail closed). For reading one flag word of a
 * rule on its own (kube-route.ts).
 */
export function flagPatternAccepts(flag: FlagPattern, value: string | undefined, caseless: boolean): boolean {
  return value === undefined || flagValueMatches(flag, value, caseless);
}

function flagValueMatches(flag: FlagPattern, value: string | undefined, caseless: boolean): boolean {
  if (!flag.value) return true;
  if (value === undefined) return false;
  return caseless ? matchWord(flag.hostValue ?? lower(flag.value), hostValueOf(value)) : matchWord(flag.value, value);
}

const lower = (parts: readonly string[]) => parts.map((part) => part.toLowerCase());

/** One argv word against a pattern word, by the word's marks; a caseless word is an implied `--flag=host`. */
function matchMarked(parts: readonly string[], word: string, mark: number): boolean {
  if (mark & WORD_UNKNOWN) return matchesSomeValue(parts, word);
  if (!(mark & WORD_CASELESS)) return matchWord(parts, word);
  const eq = word.indexOf('=');
  return matchWord(lower(parts), eq < 0 ? word.toLowerCase() : `${word.slice(0, eq + 1).toLowerCase()}${hostValueOf(word.slice(eq + 1))}`);
}

/**
 * Whether the glob could match `prefix` followed by some value: a word whose
 * value could not be read stands for all of them (fail closed). The glob's
 * first part must agree with the prefix as far as both go; a `*` after it
 * takes the rest of the prefix, and the value supplies whatever follows.
 */
function matchesSomeValue(parts: readonly string[], prefix: string): boolean {
  const first = parts[0]!;
  if (first.startsWith(prefix)) return true;
  return parts.length > 1 && prefix.startsWith(first);
}

/** `optional[j]`: argv[j] may be passed over (matched by no pattern word); `marks[j]`: how argv[j] compares. */
function matchWords(words: readonly PatternWord[], argv: readonly string[], optional?: Uint8Array, marks?: Uint8Array): boolean {
  // reachable[j]: pattern prefix consumed so far matches argv[0..j)
  let reachable = new Uint8Array(argv.length + 1);
  reachable[0] = 1;
  const passOver = () => {
    if (optional) for (let j = 0; j < argv.length; j++) if (reachable[j] && optional[j]) reachable[j + 1] = 1;
  };
  for (const word of words) {
    passOver();
    const next = new Uint8Array(argv.length + 1);
    if (word.kind === 'any-words') {
      let seen = 0;
      for (let j = 0; j <= argv.length; j++) {
        seen |= reachable[j]!;
        next[j] = seen;
      }
    } else {
      for (let j = 0; j < argv.length; j++) {
        if (reachable[j] && (marks?.[j] ? matchMarked(word.parts, argv[j]!, marks[j]!) : matchWord(word.parts, argv[j]!))) next[j + 1] = 1;
      }
    }
    reachable = next;
  }
  passOver();
  return reachable[argv.length] === 1;
}

/** `parts` is the word split on `*`: the first part is a prefix, the last a suffix, the middle ones in order. */
function matchWord(parts: readonly string[], word: string): boolean {
  if (parts.length === 1) return word === parts[0];
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (word.length < first.length + last.length) return false;
  if (!word.startsWith(first) || !word.endsWith(last)) return false;
  let at = first.length;
  const end = word.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const found = word.indexOf(parts[i]!, at);
    if (found < 0 || found + parts[i]!.length > end) return false;
    at = found + parts[i]!.length;
  }
  return true;
}
