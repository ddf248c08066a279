/**
 * Makes sure a session is good enough for one command: reads the state,
 * ends a dead session, decides (SPEC §3), then refreshes or signs in when
 * needed and allowed. Refreshes and logins are serialized across processes
 * per profile, so parallel guards never reuse a rotated refresh token.
 */
import { warn, type Deps } from '../deps.ts';
import { GuardError, isGuardError } from '../errors.ts';
import type { TokenSet } from '../keychain/keychain.ts';
import type { Limits, Profile } from '../policy/types.ts';
import { DEFAULT_SKEW, deathReason, type Decision } from './decide.ts';
import { acquireLock, lockHolder } from '../files/lock.ts';
import { lockPath, sessionFields, updateState, type SessionState } from './state.ts';
import { loadSession } from './current.ts';
import { refreshSession } from './refresh-session.ts';
import { endSession, saveSession } from './store.ts';
import { formatDuration } from '../util/duration.ts';
import { idpLimitsFrom, withIdpLimits } from './idp-limits.ts';
import type { ActiveSession, SessionNeed } from './session-types.ts';
import { loginHint, STEP_UP_SKEW, stepUpWhy } from './sign-in-terms.ts';
import { runOnGrace } from './offline-grace.ts';
import { assertSamePerson } from './last-subject.ts';
import { decideFor, terminalContext, terminalField, type TerminalContext } from './bound.ts';
import { currentTerminal, terminalOf } from './terminal.ts';
import { recordTicket } from './tickets.ts';
import { escapeControl } from '../util/text.ts';
import { createStyle } from '../ui/style.ts';
import { idTokenExpiring } from './id-token.ts';

export type { ActiveSession, SessionNeed };
export { loginHint };

const LOGIN_LOCK = { timeout: 15 * 60_000, stale: 20 * 60_000, what: 'another guard process signing in' };

/** Ends the session if it is past the loosest tier's limits (SPEC §8 dead session). Returns the state if it lives. */
export async function reapIfDead(deps: Deps, profile: Profile, state: SessionState | undefined, loosest: Limits): Promise<SessionState | undefined> {
  return (await reap(deps, profile, state, loosest)).state;
}

/** Like reapIfDead, and says why the session died. Revocation problems are shown only with --verbose: the next line is the error that matters. */
async function reap(deps: Deps, profile: Profile, state: SessionState | undefined, loosest: Limits): Promise<{ state?: SessionState; died?: 'idle' | 'max_session' }> {
  if (!state) return {};
  const died = deathReason(withIdpLimits(loosest, state.idp_limits), state, deps.now());
  if (!died) return { state };
  const warnings = await endSession(deps, profile, { revoke: true });
  if (deps.verbose) for (const w of warnings) warn(deps, w);
  deps.audit('session_expired', { profile: profile.name, reason: died, ...sessionFields(state) });
  if (deps.verbose) warn(deps, `the session of profile "${profile.name}" expired (${died}); it was ended and its refresh token revoked`);
  return { died };
}

export async function ensureSession(deps: Deps, need: SessionNeed): Promise<ActiveSession> {
  const context = terminalContext(deps, need.limits);
  const session = await establish(deps, need, context);
  return context.bound && context.terminal ? { ...session, terminal: context.terminal } : session;
}

async function establish(deps: Deps, need: SessionNeed, context: TerminalContext): Promise<ActiveSession> {
  const { profile } = need;
  const reaped = await reap(deps, profile, loadSession(deps, profile), need.loosest);
  let state = reaped.state;
  // Why the session just ended here (the IdP rejected its refresh): said once, in the line that follows.
  let ended: string | undefined;
  /** A silent refresh: the session it gives, or undefined to decide again on what is there now. */
  const refresh = async (current: SessionState): Promise<ActiveSession | undefined> => {
    const refreshed = await refreshSession(deps, need, current);
    if (refreshed && 'state' in refreshed) return refreshed;
    ended = refreshed?.rejected; // rejected by the IdP (the state is gone), or replaced meanwhile (undefined)
    state = loadSession(deps, profile);
    return undefined;
  };
  // approve_each (SPEC §11): without a terminal, every invocation is approved out of band, whatever the clocks say.
  if (need.limits.approve_each && context.withoutTerminal) return approveOrDeny(deps, need, context, { action: 'step_up', reason: 'reauth', message: 'the tier asks for an approval of each command without a terminal' }, state);
  for (let attempt = 0; attempt < 3; attempt++) {
    let decision = decideFor(deps, profile, need.limits, state, context);
    if (reaped.died && decision.action === 'login' && decision.reason === 'no_session') {
      decision = { action: 'login', reason: reaped.died, message: `the session expired (${reaped.died === 'idle' ? 'idle' : 'max_session'})` };
    } else if (ended && decision.action === 'login' && decision.reason === 'no_session') {
      decision = { ...decision, message: `the identity provider ended the session: ${escapeControl(ended)}` };
    }
    if (decision.action === 'allow' && state) {
      if (!need.needTokens) return { state };
      const tokens = await (await deps.keychain()).get(profile.name, profile.store);
      if (tokens && need.needsIdToken && idTokenExpiring(tokens, deps.now())) {
        const refreshed = await refresh(state);
        if (refreshed) return refreshed;
        continue;
      }
      if (tokens) return { state, tokens };
      warn(deps, `the keychain has no tokens for profile "${profile.name}"; sign in again`);
      // A session without tokens is no session: drop it, so a sign-in can replace it.
      updateState(deps.paths.stateDir, profile.name, (s) => (s?.session_id === state!.session_id ? null : undefined));
      state = undefined;
      continue;
    }
    if (decision.action === 'refresh' && state) {
      let refreshed: ActiveSession | undefined;
      try {
        refreshed = await refresh(state);
      } catch (error) {
        const offline = await runOnGrace(deps, need, state, error);
        if (offline) return offline;
        throw error;
      }
      if (refreshed) return refreshed;
      continue;
    }
    if (decision.action === 'step_up') decision = { ...decision, message: stepUpWhy(need, decision) };
    if (decision.action === 'login' || decision.action === 'step_up') return signIn(deps, need, decision, state, context);
  }
  throw new GuardError('auth', `could not establish a session for profile "${profile.name}"; ${loginHint(profile)}`);
}

/**
 * Without an inline device flow (not allowed, or a bound tier and no
 * terminal), the profile's out-of-band approval (CIBA, SPEC §11) if it has
 * one, else 77 with the next step.
 */
async function approveOrDeny(deps: Deps, need: SessionNeed, context: TerminalContext, decision: Extract<Decision, { action: 'login' | 'step_up' }>, state: SessionState | undefined): Promise<ActiveSession> {
  const { profile } = need;
  if (profile.approval) return (await import('./approve.ts')).approveOutOfBand(deps, need, { decision, state, terminal: terminalField(context) });
  const stepUp = decision.action === 'step_up';
  deps.audit('denied', { profile: profile.name, tier: need.tier, rules: need.rules, command: need.command, reason: decision.reason, ...terminalField(context) });
  if (context.bound && !context.terminal) {
    throw new GuardError('auth', `"${escapeControl(need.command)}" (tier ${need.tier}) is bound to a terminal and this process has none; run it from a terminal, or set approval: (CIBA) on profile "${profile.name}"`);
  }
  if (need.limits.approve_each && context.withoutTerminal) {
    throw new GuardError('auth', `"${escapeControl(need.command)}" (tier ${need.tier}) needs an approval for each command without a terminal; set approval: (CIBA) on profile "${profile.name}", or run it from a terminal`);
  }
  const why = stepUp ? `step-up required for profile "${profile.name}": ${decision.message};` : `sign-in required for profile "${profile.name}" (${decision.message});`;
  throw new GuardError('auth', `${why} ${loginHint(profile, stepUp)}${need.inlineHint ?? ' — or pass --prompt to sign in inline'}`);
}

async function signIn(deps: Deps, need: SessionNeed, decision: Extract<Decision, { action: 'login' | 'step_up' }>, state: SessionState | undefined, context: TerminalContext): Promise<ActiveSession> {
  const { profile } = need;
  const stepUp = decision.action === 'step_up';
  // A terminal-less caller never signs in for a bound tier: its login would bind to no terminal (SPEC §10).
  if (!need.allowLogin || (context.bound && !context.terminal)) return approveOrDeny(deps, need, context, decision, state);
  const path = lockPath(deps.paths.stateDir, profile.name, 'login');
  const lock = await acquireLock(path, LOGIN_LOCK, () => {
    const pid = lockHolder(path);
    const tty = pid === undefined ? undefined : terminalOf(pid);
    const who = pid === undefined ? '' : ` (pid ${pid}${tty ? ` in ${tty}` : ', no terminal'})`;
    warn(deps, `another guard process${who} is signing in to profile "${profile.name}"; waiting for it (Ctrl-C to stop)`);
  });
  try {
    // Another process may have signed in while we waited.
    const current = loadSession(deps, profile);
    if (current && current.session_id !== state?.session_id) {
      const again = decideFor(deps, profile, need.limits, current, context);
      if (again.action === 'allow') return need.needTokens ? { state: current, tokens: await requireTokens(deps, profile) } : { state: current };
    }
    const signedIn = await deviceSignIn(deps, need, {
      cause: { reason: decision.reason, message: decision.message },
      // A command with reauth_within needs a fresh authentication even when a plain login was due.
      reauth: stepUp || need.limits.reauth_within !== undefined,
      stepUp,
      previous: current,
    });
    // The device-flow screen is gone: say who is signed in before the command's own output starts.
    if (!deps.quiet) deps.io.err(`${createStyle(deps.io.color).green('✓')} signed in as ${escapeControl(signedIn.state.display_name ?? signedIn.state.subject)}\n`);
    return signedIn;
  } finally {
    lock.release();
  }
}

async function requireTokens(deps: Deps, profile: Profile): Promise<TokenSet> {
  const tokens = await (await deps.keychain()).get(profile.name, profile.store);
  if (!tokens) throw new GuardError('auth', `the keychain has no tokens for profile "${profile.name}"; ${loginHint(profile)}`);
  return tokens;
}

export interface SignInOptions {
  /** Why (machine reason for the audit log, message for the screen). */
  cause?: { reason: string; message: string };
  /** Ask the IdP to re-authenticate (max_age, prompt=login) and verify auth_time. */
  reauth: boolean;
  /** A step-up inside a live session: keeps its login_time (never extends max_session). */
  stepUp: boolean;
  previous: SessionState | undefined;
}

/**
 * Runs the device flow and stores the session. With `reauth`, asks the IdP
 * to re-authenticate and checks the new auth_time is not older than the
 * flow's start: an IdP that ignored the request is refused (77).
 *
 * The replaced session's refresh token is not revoked: an IdP may issue the
 * new tokens under the same grant (oidc-provider does, for the same browser
 * session), and revoking the old token would end the new session too.
 */
export async function deviceSignIn(deps: Deps, need: Pick<SessionNeed, 'profile' | 'limits' | 'tier' | 'rules' | 'command' | 'requireAuthTime' | 'noBrowser' | 'claims'>, options: SignInOptions): Promise<ActiveSession> {
  const { profile } = need;
  const { previous, stepUp } = options;
  // Make sure the session can be stored before the user approves anything:
  // a locked or missing keychain fails now (69), not after the sign-in.
  await (await deps.keychain()).get(profile.name, profile.store).catch((error: unknown) => {
    if (isGuardError(error, 'keychain')) throw error; // a corrupt entry is fine: the login replaces it
  });
  const { deviceLogin } = await import('../auth/device-flow.ts');
  const cancel = deps.interruptible(); // Ctrl-C while waiting: exit 130, nothing half-written
  const here = currentTerminal();
  const fields = { profile: profile.name, tier: need.tier, rules: need.rules, command: need.command, ...(need.limits.bind ? { terminal: here?.tty ?? null } : {}) };
  let result;
  try {
    result = await deviceLogin(deps, profile, { stepUp: options.reauth, requireAuthTime: need.requireAuthTime, reason: options.cause?.message, forStepUp: options.cause?.reason === 'reauth', noBrowser: need.noBrowser, signal: cancel.signal });
  } catch (error) {
    deps.audit('login_failed', { ...fields, reason: isGuardError(error) ? error.code : 'error' });
    throw error;
  } finally {
    cancel.dispose();
  }
  const { claims, tokens, started } = result;
  try {
    assertSamePerson(deps.paths.stateDir, profile, claims.sub, previous?.subject);
  } catch (error) {
    deps.audit('login_failed', { ...fields, reason: 'subject_mismatch' });
    // Nobody will hold these tokens: end the other person's grant at the IdP.
    if (tokens.refresh_token) await (await import('../auth/refresh.ts')).revokeToken(deps, profile, tokens.refresh_token, tokens.access_token);
    throw error;
  }
  if (options.reauth) {
    const authTime = claims.auth_time;
    // Not older than the flow's start (auth_time has 1 s resolution, clocks differ a little),
    // and strictly newer than the authentication we asked to replace.
    const previousAuth = previous?.subject === claims.sub ? previous.auth_time ?? undefined : undefined;
    if (
      authTime === undefined ||
      authTime < started - STEP_UP_SKEW ||
      authTime > deps.now() + DEFAULT_SKEW.idpSkew ||
      (previousAuth !== undefined && authTime <= previousAuth)
    ) {
      deps.audit('login_failed', { ...fields, reason: 'reauth_ignored' });
      const when = authTime === undefined ? 'it sent no auth_time' : `auth_time is ${formatDuration(deps.now() - authTime)} old`;
      // The new tokens are dropped (not revoked: they may share the old session's grant).
      throw new GuardError('auth', `the identity provider ignored the re-authentication request (${when}); the command was not run — sign out of the IdP in your browser and try again, or ask its admins to honour max_age/prompt=login`);
    }
  }
  // A step-up inside a live session keeps its login_time: freshness never extends max_session.
  const keepLoginTime = stepUp && previous && previous.subject === claims.sub ? previous.login_time : undefined;
  let state: SessionState;
  try {
    state = await saveSession(
      deps,
      profile,
      { tokens, subject: claims.sub, display_name: result.displayName, auth_time: claims.auth_time, scope: tokens.scope, idp_limits: idpLimitsFrom(claims, need.claims ?? {}) },
      keepLoginTime,
    );
  } catch (error) {
    // Not stored, so nobody holds it: do not leave a live refresh token at the IdP.
    if (tokens.refresh_token) await (await import('../auth/refresh.ts')).revokeToken(deps, profile, tokens.refresh_token, tokens.access_token);
    throw error;
  }
  // An authentication guard ran in this terminal: the terminal's ticket for bound tiers (SPEC §10).
  if (here) recordTicket(deps.paths.stateDir, profile.name, here, state, deps.now());
  deps.audit(stepUp && previous ? 'step_up' : 'login', {
    ...fields,
    ...(options.cause ? { reason: options.cause.reason, detail: options.cause.message } : {}),
    ...sessionFields(state),
  });
  return { state, tokens };
}
