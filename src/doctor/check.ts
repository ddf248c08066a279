/**
 * What a `guard doctor` check reports, and how the checks run: all at once,
 * each bounded by a timeout, the results kept in the order the checks were
 * listed (so the output and the exit code do not depend on which finished
 * first).
 */
import { exitCodeForCode, type ErrorCode } from '../errors.ts';

/**
 * `pass` and `fail` are the verdicts; `warn` works, but less well than it
 * could; `info` is an optional integration that is not set up (no
 * kubeconfig, no git helper): worth knowing, never a failure.
 */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'info';

export interface CheckResult {
  /** Stable, for --json: `config`, `idp`, `clock`, `keychain`, `state`, `shell`, `kubeconfig`, `git`, `policy`, `audit`. */
  id: string;
  status: CheckStatus;
  /** One line: what was checked and found. */
  summary: string;
  /** The next step, for fail and warn (and info when there is one). */
  fix?: string;
  /** A failure's class, which picks guard doctor's exit code (SPEC §5). */
  class?: Extract<ErrorCode, 'idp' | 'keychain' | 'unavailable' | 'auth' | 'config'>;
}

export interface Check {
  id: string;
  /** The class of a timeout. */
  class: NonNullable<CheckResult['class']>;
  run(): Promise<CheckResult[]>;
}

/** Runs every check in parallel; a check that throws or outlives `timeoutMs` becomes one failing line of its class. */
export async function runChecks(checks: readonly Check[], timeoutMs: number): Promise<CheckResult[]> {
  const settled = await Promise.all(
    checks.map(async (check): Promise<CheckResult[]> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<CheckResult[]>((resolve) => {
        timer = setTimeout(() => resolve([{ id: check.id, status: 'fail', class: check.class, summary: `${check.id}: did not finish within ${timeoutMs / 1000}s`, fix: 'run guard doctor --verbose again; if it persists, check what this step talks to' }]), timeoutMs);
      });
      try {
        return await Promise.race([check.run(), timeout]);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return [{ id: check.id, status: 'fail', class: check.class, summary: `${check.id}: ${message.split('\n')[0]}` }];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return settled.flat();
}

/** Exit 0 when nothing failed, else the code of the first failure's class. */
export function doctorExitCode(results: readonly CheckResult[]): number {
  const first = results.find((result) => result.status === 'fail');
  return first ? exitCodeForCode(first.class ?? 'config') : 0;
}
