/**
 * What "the stored session is unchanged" means in fault tests: the state
 * file's bytes and the keychain entry's text, read from outside guard.
 * Also writes raw keychain entries (a corrupt entry is a local fault).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { AsyncEntry } from '@napi-rs/keyring';
import type { Sandbox } from './guard.ts';

export interface SessionSnapshot {
  state: string | undefined;
  keychain: string | undefined;
}

const entry = (profile: string) => new AsyncEntry('guard', profile, { linux: { store: 'secret-service' } });

export function stateFile(sandbox: Sandbox): string {
  return join(sandbox.stateDir, 'sessions', `${sandbox.profile}.json`);
}

export async function snapshotSession(sandbox: Sandbox): Promise<SessionSnapshot> {
  const file = stateFile(sandbox);
  return {
    state: existsSync(file) ? readFileSync(file, 'utf8') : undefined,
    keychain: (await entry(sandbox.profile).getPassword()) ?? undefined,
  };
}

export async function writeKeychainRaw(profile: string, text: string): Promise<void> {
  await entry(profile).setPassword(text);
}

export async function deleteKeychain(profile: string): Promise<void> {
  await entry(profile).deletePassword().catch(() => false);
}

/** A pid that surely belonged to a process that has exited (for stale-lock tests). */
export function deadPid(): number {
  const child = spawnSync('sh', ['-c', 'echo $$']);
  return Number(String(child.stdout).trim());
}

/** The lines of stderr that are not guard's device-code screen. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}

/**
 * The fail-closed shape of SPEC §5/§8: the last stderr line is one
 * `guard: …` sentence; nothing anywhere looks like a stack trace or HTML.
 */
export function errorLine(stderr: string): string {
  const all = lines(stderr);
  for (const line of all) {
    if (/^\s+at .+\(?.*:\d+:\d+\)?$/.test(line)) throw new Error(`stack trace on stderr: ${line}`);
    if (/<\/?(html|body|h1|p|div|!doctype)\b/i.test(line)) throw new Error(`HTML on stderr: ${line}`);
  }
  return all.at(-1) ?? '';
}
