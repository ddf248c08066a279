/**
 * The same-person rule (SPEC §13): a profile remembers the subject of its
 * last sign-in in `subjects/<profile>.json`, beyond the session's
 * life (idle, max_session, `guard lock`). Only `guard logout` forgets it.
 * Every sign-in guard starts on its own — inline, step-up, CIBA — and an
 * explicit `guard login` while a subject is remembered must return that
 * same subject, or nothing is stored.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { GuardError } from '../errors.ts';
import type { Profile } from '../policy/types.ts';
import { escapeControl } from '../util/text.ts';
import { shellLine } from '../util/shell-quote.ts';
import { ensurePrivateDir, parseJsonObject, readPrivateFile } from '../files/private-file.ts';
import { writeFileAtomic } from '../files/atomic-write.ts';

function subjectPath(stateDir: string, profile: string): string {
  return join(stateDir, 'subjects', `${encodeURIComponent(profile)}.json`);
}

/**
 * The subject the profile last signed in as, for this issuer. A record that
 * is unreadable, corrupt or not private is no record, but `fallback` (the
 * live session's subject, if any) still counts.
 */
export function readLastSubject(stateDir: string, profile: string, issuer: string, fallback?: string): string | undefined {
  const file = readPrivateFile(subjectPath(stateDir, profile));
  if (!('text' in file)) return fallback;
  const record = parseJsonObject(file.text);
  return record && record.issuer === issuer && typeof record.subject === 'string' && record.subject !== '' ? record.subject : fallback;
}

/**
 * Remembers the subject a sign-in returned (written with the session, kept
 * after it ends), and the person's audit name (SPEC §16), so the lines of a
 * refusal after the session ended still say whose laptop refused.
 */
export function rememberSubject(stateDir: string, profile: string, issuer: string, subject: string, user: string = subject): void {
  ensurePrivateDir(join(stateDir, 'subjects'));
  writeFileAtomic(subjectPath(stateDir, profile), `${JSON.stringify({ version: 1, profile, issuer, subject, user })}\n`);
}

/** The audit name remembered for a profile (any issuer), or undefined. */
export function rememberedUser(stateDir: string, profile: string): string | undefined {
  const file = readPrivateFile(subjectPath(stateDir, profile));
  const record = 'text' in file ? parseJsonObject(file.text) : undefined;
  const user = record?.user ?? record?.subject;
  return typeof user === 'string' && user !== '' ? user : undefined;
}

/** Every profile that remembers a person. */
export function rememberedProfiles(stateDir: string): string[] {
  try {
    return readdirSync(join(stateDir, 'subjects'))
      .filter((name) => name.endsWith('.json'))
      .map((name) => decodeURIComponent(name.slice(0, -'.json'.length)));
  } catch {
    return [];
  }
}

/** `guard logout`: the next explicit `guard login` may be someone else. */
export function forgetSubject(stateDir: string, profile: string): void {
  try {
    unlinkSync(subjectPath(stateDir, profile));
  } catch {
    // nothing remembered
  }
}

/**
 * The same-person check for every sign-in guard starts (device flow inline
 * or explicit, step-up, CIBA approval): throws (77) when the new ID token's
 * `sub` is not the profile's last subject (or, failing a record, the live
 * session's `liveSubject`). Call it before anything of the sign-in is stored.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDToken (sub: unique per issuer)
 */
export function assertSamePerson(stateDir: string, profile: Pick<Profile, 'name' | 'issuer'>, sub: string, liveSubject?: string): void {
  assertSameSubject(readLastSubject(stateDir, profile.name, profile.issuer, liveSubject), sub, profile.name);
}

/** Throws (77) when `actual` is not `expected` (undefined: nobody is remembered, anyone may sign in). */
export function assertSameSubject(expected: string | undefined, actual: string, profile: string): void {
  if (expected === undefined || expected === actual) return;
  const profileWords = profile === 'default' ? [] : ['--profile', profile];
  throw new GuardError(
    'auth',
    `the sign-in was approved as "${escapeControl(actual)}", but profile "${escapeControl(profile)}" belongs to "${escapeControl(expected)}"; nothing was stored and the command was not run — approve as "${escapeControl(expected)}", or to switch users run: ${shellLine(['guard', 'logout', ...profileWords])}, then ${shellLine(['guard', 'login', ...profileWords])}`,
  );
}
