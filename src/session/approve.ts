/**
 * Out-of-band approval (SPEC §11) for a caller that cannot sign in inline:
 * a CIBA request for the stored session's user, one stderr line with the
 * command, tier and binding message, and the answer checked like a step-up
 * (fresh auth_time) and for the same person (SPEC §13). Nothing is stored
 * unless every check passes.
 */
import type { Deps } from '../deps.ts';
import { GuardError, isGuardError } from '../errors.ts';
import { escapeControl } from '../util/text.ts';
import { bindingMessage } from '../auth/binding-message.ts';
import { tellingWords, type CommandShape } from '../policy/telling-words.ts';
import type { ImpliedFlag } from '../policy/matcher.ts';
import { impliedFlagNames, impliedWords } from '../policy/implied/implied-words.ts';
import { systemImpliedReader } from '../policy/implied/read-implied.ts';
import type { Decision } from './decide.ts';
import { DEFAULT_SKEW } from './decide.ts';
import type { ActiveSession, SessionNeed } from './session-types.ts';
import { loginHint, STEP_UP_SKEW } from './sign-in-terms.ts';
import { idpLimitsFrom } from './idp-limits.ts';
import { jwtClaims } from './id-token.ts';
import { readLastSubject } from './last-subject.ts';
import { sessionFields, updateState, type SessionState } from './state.ts';
import { saveSession } from './store.ts';
import { formatDuration } from '../util/duration.ts';

export interface ApprovalRequest {
  /** Why the command cannot run on the session as it is. */
  decision: Extract<Decision, { action: 'login' | 'step_up' }>;
  /** The stored session: its ID token names the person to ask. */
  state: SessionState | undefined;
  /** The audit `terminal` field of a bound tier. */
  terminal: { terminal?: string | null };
}

export async function approveOutOfBand(deps: Deps, need: SessionNeed, request: ApprovalRequest): Promise<ActiveSession> {
  const { profile } = need;
  const approval = profile.approval!;
  const fields = { profile: profile.name, tier: need.tier, rules: need.rules, command: need.command, ...request.terminal };
  const { state } = request;
  // The IdP's CIBA first: without it no session or login_hint would help (issue 24: say the first thing that is wrong).
  const { openBackchannel } = await import('../auth/ciba.ts');
  const backchannel = await openBackchannel(deps, profile, approval).catch((error: unknown) => {
    deps.audit('denied', { ...fields, reason: isGuardError(error) ? error.code : 'error' });
    throw error;
  });
  const tokens = state
    ? await (await deps.keychain()).get(profile.name, profile.store).catch((error: unknown) => {
        if (isGuardError(error, 'keychain')) throw error; // an unusable keychain is 69, not "no session"
        return undefined;
      })
    : undefined;
  const claims = tokens?.id_token ? jwtClaims(tokens.id_token) : undefined;
  // `iss_sub`: the JSON login_hint some IdPs (Auth0) want, from the token's own issuer and subject.
  const hint = approval.login_hint === 'iss_sub' ? (claims?.iss && claims.sub ? JSON.stringify({ format: 'iss_sub', iss: claims.iss, sub: claims.sub }) : undefined) : claims?.[approval.login_hint];
  if (!state || !tokens) {
    deps.audit('denied', { ...fields, reason: 'no_session' });
    throw new GuardError('auth', `"${escapeControl(need.command)}" needs an approval, and profile "${profile.name}" has no stored session to ask for; run guard login once at a terminal (${loginHint(profile)})`);
  }
  if (typeof hint !== 'string' || hint === '') {
    deps.audit('denied', { ...fields, reason: 'no_login_hint' });
    throw new GuardError('config', `the stored ID token of profile "${profile.name}" has no "${escapeControl(approval.login_hint)}" claim for login_hint; request the scope that carries it (e.g. email) and run guard login once at a terminal`);
  }
  const subject = need.subject ?? { argv: [need.command], shown: need.command };
  const message = bindingMessage(tellingWords({ ...subject, implied: await impliedForApprover(deps, subject) }), approval.binding_message_max);
  // A step-up asks the IdP to authenticate the person again; the auth_time check below is what counts.
  const maxAge = request.decision.action === 'step_up' || need.limits.reauth_within !== undefined ? 1 : undefined;
  const cancel = deps.interruptible();
  let result;
  try {
    result = await backchannel.approve({
      loginHint: hint,
      bindingMessage: message,
      ...(maxAge !== undefined ? { maxAge } : {}),
      signal: cancel.signal,
      onRequested: (expiresIn) => {
        deps.audit('approval_requested', { ...fields, binding_message: message, reason: request.decision.reason });
        deps.io.err(`guard: approval needed for "${escapeControl(subject.shown)}" (tier ${escapeControl(need.tier)}): confirm "${message}" on your device (expires in ${formatDuration(expiresIn * 1000)})\n`);
      },
    });
  } catch (error) {
    deps.audit('approval_denied', { ...fields, binding_message: message, reason: isGuardError(error) ? error.code : 'error' });
    throw error;
  } finally {
    cancel.dispose();
  }
  const answer = result.claims;
  const refuse = async (reason: string, text: string): Promise<never> => {
    deps.audit('approval_denied', { ...fields, binding_message: message, reason });
    // Another person's tokens are stored by nobody: revoke them. The same person's are only dropped,
    // as after an ignored step-up: they may share the stored session's grant.
    if (reason === 'subject_changed' && result.tokens.refresh_token && !approval.client_id) await (await import('../auth/refresh.ts')).revokeToken(deps, profile, result.tokens.refresh_token, result.tokens.access_token);
    throw new GuardError('auth', `${text}; nothing was stored and "${escapeControl(need.command)}" was not run`);
  };
  // The same-person rule of every sign-in guard starts (SPEC §13): the profile's last subject, kept beyond the session.
  const expected = readLastSubject(deps.paths.stateDir, profile.name, profile.issuer, state.subject);
  if (expected !== undefined && expected !== answer.sub) await refuse('subject_changed', `the approval came from ${escapeControl(answer.sub)}, but profile "${profile.name}" belongs to ${escapeControl(expected)}`);
  const authTime = answer.auth_time;
  if (authTime === undefined || authTime < result.started - STEP_UP_SKEW || authTime > deps.now() + DEFAULT_SKEW.idpSkew) {
    await refuse('reauth_ignored', `the identity provider's answer to "${message}" is no fresh authentication (${authTime === undefined ? 'no auth_time' : `auth_time ${formatDuration(Math.abs(deps.now() - authTime))} off`})`);
  }
  if (approval.client_id) {
    // Tokens of the approval's own client cannot be refreshed by the profile's client: they serve this
    // one command, and the session only learns that the person authenticated (SPEC §13: auth_time moves).
    const updated = updateState(deps.paths.stateDir, profile.name, (s) =>
      s && s.session_id === state.session_id && (s.auth_time ?? 0) < authTime! ? { ...s, auth_time: authTime! } : undefined,
    );
    deps.audit('approval_granted', { ...fields, binding_message: message, ...sessionFields(state) });
    return { state: updated ?? state, tokens: result.tokens };
  }
  // An approval inside a live session keeps its login_time: it never extends max_session.
  const keepLoginTime = request.decision.reason === 'reauth' ? state.login_time : undefined;
  const saved = await saveSession(deps, profile, { tokens: result.tokens, subject: answer.sub, display_name: state.display_name, auth_time: authTime, scope: result.tokens.scope, idp_limits: idpLimitsFrom(answer, need.claims ?? {}) }, keepLoginTime);
  deps.audit('approval_granted', { ...fields, binding_message: message, ...sessionFields(saved) });
  return { state: saved, tokens: result.tokens };
}

/**
 * The implied words the approver's message names (kubectl's current context,
 * PGHOST…): those the rules already read, and the rest read now. Best
 * effort: a message without its target is still a message.
 */
async function impliedForApprover(deps: Deps, subject: CommandShape): Promise<readonly ImpliedFlag[]> {
  const known = subject.implied ?? [];
  const names = subject.named ? [] : impliedFlagNames(subject.argv);
  if (names.every((name) => known.some((word) => word.name === name))) return known;
  try {
    return [...known, ...(await impliedWords(subject.argv, new Set(names), systemImpliedReader(deps)))];
  } catch {
    return known;
  }
}
