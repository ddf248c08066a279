/**
 * A tier's `offline_grace` (docs/outage.md): while the IdP cannot be
 * reached to refresh an expired access token, a command that needs no token
 * may still run for that long after the token's expiry, within every other
 * limit (the decision already checked them), with one warning line and an
 * `offline_allowed` audit event. Tokens are never handed out past their
 * expiry: a caller that needs them keeps the 69.
 */
import { warn, type Deps } from '../deps.ts';
import { isGuardError } from '../errors.ts';
import { formatDuration } from '../util/duration.ts';
import { offlineGraceLeft } from './decide.ts';
import { withIdpLimits } from './idp-limits.ts';
import type { ActiveSession, SessionNeed } from './session-types.ts';
import { sessionFields, type SessionState } from './state.ts';

/** The session to run on when the refresh failed because the IdP is unreachable and the grace covers it; else undefined (the error stands). */
export async function runOnGrace(deps: Deps, need: SessionNeed, state: SessionState, error: unknown): Promise<ActiveSession | undefined> {
  if (need.needTokens || !isGuardError(error, 'idp')) return undefined;
  const left = offlineGraceLeft(withIdpLimits(need.limits, state.idp_limits), state, deps.now());
  // The outage class loads only when a grace could apply (it lives with the IdP code, off the hot path).
  if (left === undefined || !(error instanceof (await import('../auth/idp-error.ts')).IdpUnreachable)) return undefined;
  const outage = error.message.split(';')[0]!;
  warn(deps, `warning: ${outage}; "${need.command}" runs on the offline grace of tier ${need.tier} (${formatDuration(left)} left)`);
  deps.audit('offline_allowed', { profile: need.profile.name, tier: need.tier, rules: need.rules, command: need.command, ...sessionFields(state), reason: 'idp_unreachable', detail: outage, grace_left_ms: left });
  return { state };
}
