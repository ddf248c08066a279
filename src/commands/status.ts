/** `guard status [--json]`: who is signed in, session age, idle time, and what each tier would decide now. Exit 0 with a session, 77 without. */
import { colorEnabled, type Deps } from '../deps.ts';
import { exitCodeForCode } from '../errors.ts';
import { decide, nextExpiry } from '../session/decide.ts';
import { loadSession } from '../session/current.ts';
import { loginHint, reapIfDead } from '../session/ensure.ts';
import { formatDuration } from '../util/duration.ts';
import { createStyle } from '../ui/style.ts';
import { withIdpLimits } from '../session/idp-limits.ts';
import { loadContext, loosestLimits, profileFor, type GlobalOptions } from './context.ts';
import { escapeControl } from '../audit/event.ts';
import { readAuditLog } from '../audit/read.ts';
import { summarizeCallers, type CallerSummary } from '../audit/report-callers.ts';

export async function status(deps: Deps, options: GlobalOptions): Promise<number> {
  const { config } = await loadContext(deps, options);
  const profile = profileFor(deps, config, options);
  const state = await reapIfDead(deps, profile, loadSession(deps, profile), loosestLimits(config));
  const now = deps.now();
  const tiers = [...config.tiers.values()].map((tier) => {
    const limits = withIdpLimits(tier, state?.idp_limits);
    const decision = decide(limits, state, now);
    const next = state ? nextExpiry(limits, state, now) : undefined;
    return {
      tier: tier.name,
      decision: decision.action,
      ...(decision.action === 'allow' ? {} : { reason: decision.reason, message: decision.message }),
      ...(next ? { next_clock: next.clock, next_in_ms: next.in } : {}),
    };
  });
  const report = {
    profile: profile.name,
    issuer: profile.issuer,
    store: profile.store,
    logged_in: Boolean(state),
    ...(state
      ? {
          subject: state.subject,
          session_id: state.session_id,
          login_time: new Date(state.login_time).toISOString(),
          auth_time: state.auth_time ? new Date(state.auth_time).toISOString() : null,
          last_activity: new Date(state.last_activity).toISOString(),
          session_age_ms: now - state.login_time,
          idle_ms: now - state.last_activity,
          access_token_expires_in_ms: state.access_expires_at ? state.access_expires_at - now : null,
          idp_session_ends_in_ms: state.refresh_expires_at ? state.refresh_expires_at - now : null,
          idp_limits: state.idp_limits ? { idle_ms: state.idp_limits.idle ?? null, max_session_ms: state.idp_limits.max_session ?? null } : null,
        }
      : {}),
    tiers,
    // Tools that got a credential from this session (SPEC §9), from the audit log.
    ...(state ? { credential_callers: sessionCallers(deps, state.session_id) } : {}),
  };
  if (options.json) {
    deps.io.out(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const s = createStyle(colorEnabled(deps.env, deps.io.stdoutIsTTY)); // this goes to stdout
    const lines: string[] = [];
    if (state) {
      lines.push(`${s.green('●')} signed in as ${s.bold(escapeControl(state.subject))} — profile ${profile.name} (${profile.issuer}), keychain: ${profile.store}`);
      lines.push(`  session age ${formatDuration(now - state.login_time)}, idle ${formatDuration(now - state.last_activity)}${state.auth_time ? `, authenticated ${formatDuration(now - state.auth_time)} ago` : ''}`);
      const idp = state.idp_limits;
      if (idp) lines.push(`  the identity provider limits this user to${idp.idle ? ` idle ${formatDuration(idp.idle)}` : ''}${idp.max_session ? ` session ${formatDuration(idp.max_session)}` : ''}`);
      if (state.refresh_expires_at) lines.push(`  the identity provider's session ends in ${formatDuration(Math.max(0, state.refresh_expires_at - now))}`);
      for (const t of tiers) {
        const next = t.next_in_ms !== undefined ? `; ${t.next_clock} fires in ${formatDuration(Math.max(0, t.next_in_ms))}` : '';
        const verdict = t.decision === 'allow' || t.decision === 'refresh' ? s.green('run') : s.yellow(t.decision === 'step_up' ? `step-up (${t.message})` : `login (${t.message})`);
        lines.push(`  ${t.tier.padEnd(12)} ${verdict}${next}`);
      }
      for (const c of report.credential_callers ?? []) {
        const refused = c.denied ? `, ${c.denied} refused` : '';
        lines.push(`  ${s.dim('credential')} ${c.caller} ${escapeControl(c.server ?? '(no server given)')}: ${c.allowed}× (tier ${c.tiers.map(escapeControl).join(', ')}${refused}), last ${formatDuration(Math.max(0, now - Date.parse(c.last)))} ago`);
      }
    } else {
      lines.push(`${s.red('○')} not signed in — profile ${profile.name} (${profile.issuer}); ${loginHint(profile)}`);
    }
    deps.io.out(`${lines.join('\n')}\n`);
  }
  return state ? 0 : exitCodeForCode('auth');
}

/** What the audit log says tools got from this session; an unreadable log is shown as none (status never fails on it). */
function sessionCallers(deps: Deps, sessionId: string): CallerSummary[] {
  try {
    return summarizeCallers(readAuditLog(deps.paths.stateDir).events.filter((e) => e.session_id === sessionId));
  } catch {
    return [];
  }
}
