/**
 * What each audit event means for `guard report`: is it a prompt, an
 * expiry, a command? The definitions the report documents live here. Pure.
 */
import type { AuditEvent } from './event.ts';

/** Reasons of `denied` that mean "sign in first" (SPEC §3 login / step-up situations), as opposed to a declined confirmation. */
const SIGN_IN_REASONS = new Set(['no_session', 'idle', 'max_session', 'reauth', 'invalid_state']);

export type PromptKind = 'login' | 'step_up' | 'login_failed' | 'denied';

/**
 * A prompt is an interruption where guard made the user sign in: a device
 * flow that completed (`login`, `step_up`) or did not (`login_failed`), or
 * a refusal that told the user to sign in (`denied` for no session, idle,
 * max_session, reauth or a bad state file; not a declined confirmation).
 * A refusal followed by a manual `guard login` is two prompts: the user was
 * interrupted twice.
 */
export function promptKind(event: AuditEvent): PromptKind | undefined {
  switch (event.event) {
    case 'login':
    case 'step_up':
    case 'login_failed':
      return event.event;
    case 'denied':
      return typeof event.reason === 'string' && SIGN_IN_REASONS.has(event.reason) ? 'denied' : undefined;
    default:
      return undefined;
  }
}

/**
 * Why a session or a tier's clock ran out, if the event says so.
 * `session_expired` and `denied` carry a machine reason; an inline `login`
 * carries the decision's message ("idle 47m > 45m", "session age 8h01m > 8h").
 */
export function expiryCause(event: AuditEvent): 'idle' | 'max_session' | undefined {
  const reason = typeof event.reason === 'string' ? event.reason : '';
  switch (event.event) {
    case 'session_expired':
    case 'denied':
      return reason === 'idle' || reason === 'max_session' ? reason : undefined;
    case 'login':
    case 'step_up':
      if (/^idle\b|treated as idle/.test(reason)) return 'idle';
      if (/^(session age|max_session)\b/.test(reason)) return 'max_session';
      return undefined;
    default:
      return undefined;
  }
}

/**
 * Events after which the next command's wait is not an idle gap: the user
 * ended the session (logout, lock), or it ended for another reason (age,
 * a refresh the IdP rejected) and a prompt would have come at any idle limit.
 */
export function breaksIdleChain(event: AuditEvent): boolean {
  if (event.event === 'logout') return true;
  if (event.event === 'refresh' && event.result === 'rejected') return true;
  if (event.event === 'session_expired') return event.reason !== 'idle';
  return expiryCause(event) === 'max_session';
}

/**
 * A guarded command that moved `last_activity`. `guard token` is allowed
 * too but does not move it (SPEC §8), so it neither starts nor ends a gap.
 */
export function isActivity(event: AuditEvent): boolean {
  return event.event === 'allowed' && event.command !== 'token';
}

/** The group an event belongs to; events of the session as a whole (no tier) go under "-". */
export function tierOf(event: AuditEvent): string {
  return typeof event.tier === 'string' && event.tier !== '' ? event.tier : '-';
}

export function profileOf(event: AuditEvent): string {
  return typeof event.profile === 'string' && event.profile !== '' ? event.profile : '-';
}

/** Whose event it is (SPEC §16 `user`); `-` for a line of a guard older than the field. */
export function userOf(event: AuditEvent): string {
  return typeof event.user === 'string' && event.user !== '' ? event.user : '-';
}

export function hostOf(event: AuditEvent): string {
  return typeof event.host === 'string' && event.host !== '' ? event.host : '-';
}
