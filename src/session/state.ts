/**
 * Session state on disk: `$GUARD_STATE_DIR/sessions/<profile>.json`, mode
 * 0600, written atomically (temp file + rename) under a lock. No secrets:
 * tokens live in the keychain. A file that is unreadable, corrupt, of
 * another version or writable by others means "no session", with a note.
 */
import { ensurePrivateDir, parseJsonObject, readPrivateFile } from '../files/private-file.ts';
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { GuardError } from '../errors.ts';
import type { StoreKind } from '../policy/types.ts';
import type { SessionClocks } from './decide.ts';
import { acquireLock, acquireLockSync } from '../files/lock.ts';
import { stageFileAtomic, type StagedFile } from '../files/atomic-write.ts';

export const STATE_VERSION = 1;

export interface SessionState extends SessionClocks {
  version: typeof STATE_VERSION;
  profile: string;
  subject: string;
  /** A readable name for the subject (preferred_username, email or name), shown by status; never used for a decision. */
  display_name?: string;
  session_id: string;
  issuer: string;
  client_id: string;
  store: StoreKind;
  scope?: string;
  /** Limits the IdP set for this user through ID token claims (ms); they only tighten. */
  idp_limits?: { idle?: number; max_session?: number };
  /** When the IdP says the refresh token (its session) ends, if it said (ms). */
  refresh_expires_at?: number | null;
}

/**
 * The person an audit line names (SPEC §16): the readable name `guard status`
 * shows, else the subject. Set at sign-in and never refreshed, so one session
 * has one value.
 */
export function auditUser(state: Pick<SessionState, 'subject' | 'display_name'>): string {
  return state.display_name || state.subject;
}

/** The fields every audit line of a live session carries: its id and its person. */
export function sessionFields(state: SessionState): { session_id: string; user: string } {
  return { session_id: state.session_id, user: auditUser(state) };
}

export interface ReadResult {
  state?: SessionState;
  /** Why an existing file was not used. */
  note?: string;
}

/** Makes the state folder (0700), tightening it if it exists with looser permissions. */
export function ensureStateDir(dir: string): void {
  ensurePrivateDir(dir);
  ensurePrivateDir(join(dir, 'sessions'));
}

export function statePath(dir: string, profile: string): string {
  return join(dir, 'sessions', `${encodeURIComponent(profile)}.json`);
}

export function lockPath(dir: string, profile: string, kind: 'state' | 'refresh' | 'login'): string {
  return join(dir, 'sessions', `${encodeURIComponent(profile)}.${kind}.lock`);
}

/** Parses a state file's text; never throws. */
export function parseState(text: string, profile: string): SessionState | undefined {
  const s = parseJsonObject(text);
  if (!s) return undefined;
  const time = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  const optionalTime = (v: unknown) => v === undefined || v === null || time(v);
  const text_ = (v: unknown) => typeof v === 'string' && v !== '';
  if (s.version !== STATE_VERSION || s.profile !== profile) return undefined;
  if (!time(s.login_time) || !time(s.last_activity) || !optionalTime(s.auth_time) || !optionalTime(s.access_expires_at)) return undefined;
  if (!text_(s.subject) || !text_(s.session_id) || !text_(s.issuer) || !text_(s.client_id)) return undefined;
  if (s.store !== 'secret-service' && s.store !== 'keyutils') return undefined;
  if (!optionalTime(s.refresh_expires_at)) return undefined;
  if (s.display_name !== undefined && typeof s.display_name !== 'string') return undefined;
  if (s.idp_limits !== undefined) {
    const l = s.idp_limits as Record<string, unknown> | null;
    if (!l || typeof l !== 'object' || !optionalTime(l.idle) || !optionalTime(l.max_session)) return undefined;
  }
  return s as unknown as SessionState;
}

export function readState(dir: string, profile: string): ReadResult {
  const path = statePath(dir, profile);
  const file = readPrivateFile(path);
  if ('missing' in file) return {};
  if ('problem' in file) {
    const next = file.problem.startsWith('is writable') ? ' (guard login writes a new one)' : '';
    return { note: `the session file ${path} ${file.problem}; treating it as no session${next}` };
  }
  const state = parseState(file.text, profile);
  return state ? { state } : { note: `the session file ${path} is corrupt or from another version; treating it as no session` };
}

const STATE_LOCK = { timeout: 10_000, stale: 10_000, what: 'the session state lock' };

/**
 * Held while a profile's tokens change (refresh, sign-in stored, sign-out):
 * one writer at a time, so a rotated refresh token is never reused or lost.
 */
export const TOKENS_LOCK = { timeout: 30_000, stale: 120_000, what: 'another guard process changing this session' };

/** Runs `work` holding the profile's tokens lock. */
export async function withTokensLock<T>(dir: string, profile: string, work: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(lockPath(dir, profile, 'refresh'), TOKENS_LOCK);
  try {
    return await work();
  } finally {
    lock.release();
  }
}

/**
 * A state change written beside the state file, under the profile's lock:
 * `commit` renames it in, `abandon` drops it, and either releases the lock
 * (both at most once). `state` is what the file holds once committed.
 */
export interface StagedState {
  state: SessionState | undefined;
  commit(): void;
  abandon(): void;
}

/**
 * Read-modify-write of one profile's state under its lock, staged: `change`
 * gets the current state (undefined when none) and returns the new one, or
 * null to delete it, or undefined to leave it as it is. A failed write (a
 * full disk) throws here, before anything is committed.
 */
export function stageState(
  dir: string,
  profile: string,
  change: (current: SessionState | undefined) => SessionState | null | undefined,
  options: { durable?: boolean } = {},
): StagedState {
  ensureStateDir(dir);
  const lock = acquireLockSync(lockPath(dir, profile, 'state'), STATE_LOCK);
  const settled = (state: SessionState | undefined): StagedState => {
    lock.release();
    return { state, commit() {}, abandon() {} };
  };
  let file: StagedFile;
  let next: SessionState | null | undefined;
  try {
    const current = readState(dir, profile).state;
    next = change(current);
    if (next === undefined) return settled(current);
    const path = statePath(dir, profile);
    if (next === null) {
      try {
        unlinkSync(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new GuardError('io', `cannot delete ${path}: ${(error as NodeJS.ErrnoException).code}`);
      }
      return settled(undefined);
    }
    file = stageFileAtomic(path, `${JSON.stringify(next, null, 2)}\n`, options);
  } catch (error) {
    lock.release();
    throw error;
  }
  let open = true;
  const finish = (step: () => void) => {
    if (!open) return;
    open = false;
    try {
      step();
    } finally {
      lock.release();
    }
  };
  const commit = () => {
    // Held across a spawn (guard run): if another process broke the lock as stale meanwhile, its write stands.
    if (!lock.held()) {
      file.abandon();
      throw new GuardError('io', `the session state lock for profile "${profile}" was taken over while this update waited; it was not applied`);
    }
    file.commit();
  };
  return { state: next, commit: () => finish(commit), abandon: () => finish(file.abandon) };
}

/** stageState, committed at once. */
export function updateState(
  dir: string,
  profile: string,
  change: (current: SessionState | undefined) => SessionState | null | undefined,
  options: { durable?: boolean } = {},
): SessionState | undefined {
  const staged = stageState(dir, profile, change, options);
  staged.commit();
  return staged.state;
}

/** Marks activity now, for one session (SPEC §8: every allowed command and `guard touch`). */
export function touchActivity(dir: string, profile: string, sessionId: string, now: number): void {
  stageActivity(dir, profile, sessionId, now).commit();
}

/** touchActivity, staged: `guard run` commits it once its command has started. */
export function stageActivity(dir: string, profile: string, sessionId: string, now: number): StagedState {
  return stageState(
    dir,
    profile,
    (current) => (current && current.session_id === sessionId && current.last_activity < now ? { ...current, last_activity: now } : undefined),
    { durable: false },
  );
}
