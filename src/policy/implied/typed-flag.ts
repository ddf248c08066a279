/**
 * What argv itself says about a flag, for the resolvers that read a value
 * the user may have typed (`--kubeconfig`, `-chdir`) before falling back to
 * the environment. Pure.
 */
import { occurrenceAt, type FlagName } from '../flag-words.ts';

const value = (name: string): FlagName => ({ name, takesValue: true });

/**
 * What argv itself says about a flag (any of its spellings), up to `--`:
 * the last value written where it is surely a flag, and whether some
 * occurrence may be a flag or the value of the flag before it (`-c
 * --context=x`), or has no value: then the implied value is kept as well.
 */
export function typedFlag(argv: readonly string[], names: readonly string[]): { value?: string; unsure: boolean } {
  let typed: string | undefined;
  let unsure = false;
  for (let i = 1; i < argv.length && argv[i] !== '--'; i++) {
    for (const name of names) {
      const occurrence = occurrenceAt(value(name), argv, i);
      if (!occurrence) continue;
      const before = argv[i - 1]!;
      const afterBareFlag = i > 1 && before.startsWith('-') && before !== '--' && !before.includes('=');
      // An empty value (`--context=`) is no choice: client-go and libpq then fall back to the current one.
      if (afterBareFlag || !occurrence.value) unsure = true;
      else typed = occurrence.value;
      i = occurrence.end - 1;
      break;
    }
  }
  return { ...(typed !== undefined ? { value: typed } : {}), unsure };
}
