/**
 * Word-glob patterns over argv (SPEC §2): `*` matches within one word, `**`
 * any number of words, anything else literally. Matching is dynamic
 * programming over (pattern word, argv word): O(P·N) words, no backtracking
 * blow-up even for a 10,000-word argv.
 */
export type Pattern = readonly PatternWord[];
type PatternWord = { kind: 'any-words' } | { kind: 'word'; parts: readonly string[] };

/** Returns an error message for a bad pattern, or undefined when it is fine. */
export function checkPattern(text: string): string | undefined {
  if (text.trim() === '') return 'empty pattern';
  for (const word of splitWords(text)) {
    if (word.includes('**') && word !== '**') return `"**" must be a word of its own (in "${word}")`;
  }
  return undefined;
}

export function compilePattern(text: string): Pattern {
  const problem = checkPattern(text);
  if (problem) throw new Error(problem);
  return splitWords(text).map((word) =>
    word === '**' ? { kind: 'any-words' } : { kind: 'word', parts: word.split('*') },
  );
}

function splitWords(text: string): string[] {
  return text.trim().split(/\s+/);
}

export function matchPattern(pattern: Pattern, argv: readonly string[]): boolean {
  // reachable[j]: pattern prefix consumed so far matches argv[0..j)
  let reachable = new Uint8Array(argv.length + 1);
  reachable[0] = 1;
  for (const word of pattern) {
    const next = new Uint8Array(argv.length + 1);
    if (word.kind === 'any-words') {
      let seen = 0;
      for (let j = 0; j <= argv.length; j++) {
        seen |= reachable[j]!;
        next[j] = seen;
      }
    } else {
      for (let j = 0; j < argv.length; j++) {
        if (reachable[j] && matchWord(word.parts, argv[j]!)) next[j + 1] = 1;
      }
    }
    reachable = next;
  }
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
