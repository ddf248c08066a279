/**
 * Runs the wrapped command with the user's stdio (streamed, never
 * buffered), forwards SIGINT/SIGTERM/SIGHUP, and reports its exit code or
 * 128+N when it died of signal N (SPEC §4).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { GuardError } from '../errors.ts';
import { escapeControl } from '../util/text.ts';

export interface ChildResult {
  code: number;
  signal?: NodeJS.Signals;
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * `started` runs once the child exists and signals are forwarded to it: work
 * that must not hold the command back (guard run's activity rename) overlaps
 * with the command's own start-up.
 */
export function runChild(argv: readonly string[], env: NodeJS.ProcessEnv, started?: () => void): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit', env });
    const forward = (signal: NodeJS.Signals) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    for (const signal of FORWARDED) process.on(signal, forward);
    started?.();
    const cleanup = () => {
      for (const signal of FORWARDED) process.off(signal, forward);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      cleanup();
      const name = escapeControl(argv[0]!);
      if (error.code === 'ENOENT') reject(new GuardError('not_found', `command not found: ${name}`));
      else reject(new GuardError('not_found', `cannot run ${name}: ${error.code ?? error.message}`));
    });
    child.once('exit', (code, signal) => {
      cleanup();
      if (signal) resolve({ code: 128 + (constants.signals[signal] ?? 0), signal });
      else resolve({ code: code ?? 1 });
    });
  });
}
