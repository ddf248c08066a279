/**
 * Saving and ending sessions: tokens to the keychain first, then the state
 * file; ending revokes the refresh token (best effort), deletes the keychain
 * entry and the state.
 */
import { lazyCrypto } from '../util/builtins.ts';
import { escapeControl } from '../util/escape.ts';
import type { Deps } from '../deps.ts';
import type { TokenSet } from '../keychain/keychain.ts';
import type { Profile } from '../policy/types.ts';
import { writeAuditEvent } from '../audit/log.ts';
import { buildEvent, type AuditEventName, type AuditFields } from '../audit/event.ts';
import type { AuditSettings } from '../policy/types.ts';
import { rememberSubject } from './last-subject.ts';
import { STATE_VERSION, updateState, withTokensLock, type SessionState } from './state.ts';

/** The merged config's `audit:` settings per Deps (size cap, OTLP shipping), set once the config is loaded. */
const auditSettings = new WeakMap<Deps, AuditSettings>();

export function configureAudit(deps: Deps, settings: AuditSettings): void {
  auditSettings.set(deps, settings);
}

/** The fields SPEC §7 puts on every line, null where they do not apply. */
const EVERY_LINE = { profile: null, tier: null, rules: [], command: null } as const;

/** Logs one event (SPEC §7); never fails the command: a problem is said with --verbose. */
export function audit(deps: Deps, event: AuditEventName, fields: AuditFields): void {
  const line = buildEvent(event, { ...EVERY_LINE, ...fields } as AuditFields, deps.now());
  const problem = writeAuditEvent(deps.paths.stateDir, line, auditSettings.get(deps), deps.env);
  if (problem && deps.verbose) deps.io.err(`guard: warning: ${escapeControl(problem)}\n`);
}

/** One `guard: …` line on stderr; the message is escaped (it may quote an IdP, a file or argv; SPEC §13). */
export function warn(deps: Deps, message: string): void {
  if (!deps.quiet) deps.io.err(`guard: ${escapeControl(message)}\n`);
}

export interface NewSession {
  tokens: TokenSet;
  subject: string;
  auth_time?: number;
  scope?: string;
  idp_limits?: { idle?: number; max_session?: number };
}

/** Stores a freshly signed-in session. A step-up keeps the original login_time: it never extends max_session. */
export async function saveSession(deps: Deps, profile: Profile, session: NewSession, keepLoginTime?: number): Promise<SessionState> {
  return withTokensLock(deps.paths.stateDir, profile.name, () => storeSession(deps, profile, session, keepLoginTime));
}

async function storeSession(deps: Deps, profile: Profile, session: NewSession, keepLoginTime?: number): Promise<SessionState> {
  const keychain = await deps.keychain();
  await keychain.set(profile.name, profile.store, session.tokens);
  const now = deps.now();
  const state: SessionState = {
    version: STATE_VERSION,
    profile: profile.name,
    subject: session.subject,
    session_id: lazyCrypto().randomUUID(),
    issuer: profile.issuer,
    client_id: profile.client_id,
    store: profile.store,
    login_time: keepLoginTime ?? now,
    auth_time: session.auth_time ?? null,
    last_activity: now,
    access_expires_at: session.tokens.expires_at ?? null,
    ...(session.tokens.refresh_expires_at ? { refresh_expires_at: session.tokens.refresh_expires_at } : {}),
    ...(session.scope ? { scope: session.scope } : {}),
    ...(session.idp_limits ? { idp_limits: session.idp_limits } : {}),
  };
  updateState(deps.paths.stateDir, profile.name, () => state);
  rememberSubject(deps.paths.stateDir, profile.name, profile.issuer, session.subject);
  return state;
}

/**
 * Ends a session: revokes its refresh token at the IdP (RFC 7009, best
 * effort), deletes the keychain entry and the state file. Returns warnings.
 */
export async function endSession(deps: Deps, profile: Profile, options: { revoke: boolean }): Promise<string[]> {
  return withTokensLock(deps.paths.stateDir, profile.name, () => clearSession(deps, profile, options));
}

async function clearSession(deps: Deps, profile: Profile, options: { revoke: boolean }): Promise<string[]> {
  // The local session ends first and whatever happens next: a locked or
  // missing keychain must not leave a session that still runs commands.
  // Its person is remembered (a session stored before the record existed, too): only logout forgets it (SPEC §13).
  updateState(deps.paths.stateDir, profile.name, (current) => {
    if (current) rememberSubject(deps.paths.stateDir, profile.name, current.issuer, current.subject);
    return null;
  });
  const warnings: string[] = [];
  const keychain = await deps.keychain();
  let tokens: TokenSet | undefined;
  try {
    tokens = await keychain.get(profile.name, profile.store);
  } catch (error) {
    // A corrupt entry is still deleted below; an unusable keychain is an error.
    if ((error as { code?: string }).code === 'keychain') throw error;
  }
  if (options.revoke && tokens?.refresh_token) {
    const { revokeToken } = await import('../auth/refresh.ts');
    const problem = await revokeToken(deps, profile, tokens.refresh_token);
    if (problem) warnings.push(problem);
  }
  await keychain.delete(profile.name, profile.store);
  return warnings;
}
