/**
 * Turns an error into one `guard: …` line on stderr and an exit code (SPEC §5): the only place that maps them.
 * Messages carry text from outside (IdP answers, config, argv): escaped here, once for all (SPEC §13).
 */
import type { Deps } from './deps.ts';
import { exitCodeFor, isGuardError } from './errors.ts';
import { escapeControl } from './util/text.ts';

export function reportError(deps: Pick<Deps, 'io' | 'verbose'>, error: unknown): number {
  if (isGuardError(error)) {
    if (error.said) return exitCodeFor(error);
    deps.io.err(`guard: ${escapeControl(error.message)}\n`);
    if (deps.verbose) {
      if (error.detail) deps.io.err(`  detail: ${escapeControl(error.detail)}\n`);
      const cause = error.cause as { message?: string } | undefined;
      if (cause?.message) deps.io.err(`  cause: ${escapeControl(cause.message.split('\n')[0]!)}\n`);
    }
  } else {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    deps.io.err(`guard: unexpected error: ${escapeControl(message ?? '')} (run with --verbose for details, and please report it)\n`);
    if (deps.verbose && error instanceof Error && error.stack) deps.io.err(`${escapeControl(error.stack).replaceAll('\\x0a', '\n')}\n`);
  }
  return exitCodeFor(error);
}
