/**
 * A tool that runs guard as a plugin may run it again at once after a
 * refusal: kubectl's discovery runs its exec plugin once per request, so
 * one refused `kubectl get pods` printed guard's line five times, asked a
 * declined question again, and waited for an unreachable IdP five times.
 * A refusal is kept in the state folder for a few seconds, with the calling
 * process (its pid and start time: a reused pid is another caller) and the
 * words it asked for; the same caller asking the same again within them is
 * refused at once, with the same exit code and no second line — unless a
 * session changed meanwhile (a `guard login` in another terminal): every
 * state write renames a file into the sessions folder, which moves its mtime.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { exitCodeForCode, type ErrorCode } from '../errors.ts';
import { ensurePrivateDir, parseJsonObject, readPrivateFile } from '../files/private-file.ts';
import { writeFileAtomic } from '../files/atomic-write.ts';
import { processStart } from '../util/proc.ts';

const FILE = 'last-refusal.json';
/** Long enough for a client's burst of retries, short enough that a `guard login` meanwhile is not held up. */
export const REPEAT_WINDOW = 5_000;

function callerKey(stateDir: string, words: readonly string[], parent: number): string | undefined {
  const start = processStart(parent);
  if (start === undefined) return undefined;
  let sessions: number | string;
  try {
    sessions = statSync(join(stateDir, 'sessions')).mtimeMs;
  } catch {
    sessions = 'none';
  }
  return `${parent}-${start} ${sessions} ${words.join(' ')}`;
}

/** The exit code of the refusal this calling process got for these words moments ago, if any. Never throws. */
export function recentRefusal(stateDir: string, words: readonly string[], now: number, parent: number = process.ppid): ErrorCode | undefined {
  const file = readPrivateFile(join(stateDir, FILE));
  const last = 'text' in file ? parseJsonObject(file.text) : undefined;
  if (!last || typeof last.at !== 'number' || now - last.at < 0 || now - last.at >= REPEAT_WINDOW) return undefined;
  // Only a code guard knows (a hand-edited record must never turn into an exit 0).
  if (typeof last.code !== 'string' || exitCodeForCode(last.code as ErrorCode) === undefined) return undefined;
  return last.caller === callerKey(stateDir, words, parent) ? (last.code as ErrorCode) : undefined;
}

/** Remembers a refusal for `recentRefusal`. Never throws: saying it again is the worst that can happen. */
export function recordRefusal(stateDir: string, words: readonly string[], code: ErrorCode, now: number, parent: number = process.ppid): void {
  const caller = callerKey(stateDir, words, parent);
  if (caller === undefined) return;
  try {
    ensurePrivateDir(stateDir);
    writeFileAtomic(join(stateDir, FILE), JSON.stringify({ caller, code, at: now }));
  } catch {
    // not remembered
  }
}
