/**
 * Whether this process answered on the hot path (a fast command: run, token,
 * the credential helpers, a named command). The core's loader writes V8's
 * code cache only after such a run, so the cache holds the functions a valid
 * session's start-up needs, not those of `guard login` or `guard status`.
 */
let ran = false;

export function markHotPath(): void {
  ran = true;
}

export function ranHotPath(): boolean {
  return ran;
}
