/** `guard status [--json]`: who is signed in, session age, idle time, and what each tier would decide now. Exit 0 with a session, 77 without. */
import type { Deps } from '../deps.ts';
import { colorEnabled } from '../ui/style.ts';
import { exitCodeForCode } from '../errors.ts';
import { decide, nextExpiry } from '../session/decide.ts';
import { loadSession } from '../session/current.ts';
import { loginHint } from '../session/ensure.ts';
import { formatDuration } from '../util/duration.ts';
import { createStyle } from '../ui/style.ts';
import { withIdpLimits } from '../session/idp-limits.ts';
import { deathOf, loadContext, profileFor, type GlobalOptions } from './context.ts';
import { userLabel } from '../ui/user-label.ts';
import { decideFor, terminalContext } from '../session/bound.ts';
import { currentTerminal } from '../session/terminal.ts';
import { readTicket } from '../session/tickets.ts';
import { escapeControl, toJsonText } from '../util/text.ts';
import { readAuditLog } from '../audit/read.ts';
import { summarizeCallers, type CallerSummary } from '../audit/report-callers.ts';
import { heldSecrets } from '../session/held-secrets.ts';

export async function status(deps: Deps, options: GlobalOptions): Promise<number> {
  const { config } = await loadContext(deps, options);
  const profile = profileFor(deps, config, options);
  const now = deps.now();
  // A status reports and changes nothing: a dead session is shown as such; run, token, login and logout end it.
  const stored = loadSession(deps, profile);
  const died = stored ? deathOf(config, stored, now) : undefined;
  const state = died ? undefined : stored;
  // This terminal's ticket for the bound tiers (SPEC §10).
  const here = currentTerminal();
  const ticket = here && state ? readTicket(deps.paths.stateDir, profile.name, here, state) : undefined;
  const tiers = [...config.tiers.values()].map((tier) => {
    const limits = withIdpLimits(tier, state?.idp_limits);
    const decision = tier.bind ? decideFor(deps, profile, tier, state, terminalContext(deps, tier)) : decide(limits, state, now);
    const clocks = tier.bind && state ? (ticket ? { ...state, last_activity: ticket.last_activity, auth_time: ticket.auth_time } : undefined) : state;
    const next = clocks ? nextExpiry(limits, clocks, now) : undefined;
    return {
      tier: tier.name,
      ...(tier.bind ? { bind: tier.bind } : {}),
      decision: decision.action,
      ...(decision.action === 'allow' ? {} : { reason: decision.reason, message: decision.message }),
      // The next limit to fire, while none has (a tier that needs a sign-in already says why).
      ...(next && (decision.action === 'allow' || decision.action === 'refresh') ? { next_clock: next.clock, next_in_ms: next.in } : {}),
    };
  });
  const held = state ? heldSecrets(deps.paths.stateDir, profile.name) : [];
  const report = {
    profile: profile.name,
    issuer: profile.issuer,
    store: profile.store,
    logged_in: Boolean(state),
    ...(died ? { expired: died } : {}),
    ...(state
      ? {
          subject: state.subject,
          display_name: state.display_name ?? null,
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
    terminal: here ? { tty: here.tty, ticket: ticket ? { auth_time: ticket.auth_time ? new Date(ticket.auth_time).toISOString() : null, last_activity: new Date(ticket.last_activity).toISOString(), idle_ms: now - ticket.last_activity } : null } : null,
    tiers,
    // Tools that got a credential from this session (SPEC §9), from the audit log.
    ...(state ? { credential_callers: sessionCallers(deps, state.session_id) } : {}),
    // Credentials obtained with it and kept in the keychain (SPEC §15: AWS, per role; §14: a token per cluster); lock and logout drop them.
    ...(state ? { cached_credentials: held.length } : {}),
  };
  if (options.json) {
    deps.io.out(`${toJsonText(report)}\n`);
  } else {
    const s = createStyle(colorEnabled(deps.env, deps.io.stdoutIsTTY)); // this goes to stdout
    const lines: string[] = [];
    if (state) {
      lines.push(`${s.green('●')} signed in as ${userLabel(state, s)} — profile ${escapeControl(profile.name)} (${escapeControl(profile.issuer)}), keychain: ${profile.store}`);
      lines.push(`  session age ${formatDuration(now - state.login_time)}, idle ${formatDuration(now - state.last_activity)}${state.auth_time ? `, authenticated ${formatDuration(now - state.auth_time)} ago` : ''}`);
      const idp = state.idp_limits;
      if (idp) lines.push(`  the identity provider limits this user to${idp.idle ? ` idle ${formatDuration(idp.idle)}` : ''}${idp.max_session ? ` session ${formatDuration(idp.max_session)}` : ''}`);
      if (config.tiers.size > 0 && [...config.tiers.values()].some((tier) => tier.bind)) {
        lines.push(
          !here
            ? `  no controlling terminal: terminal-bound tiers ${profile.approval ? 'ask for an approval (CIBA) here' : 'are refused here'}`
            : ticket
              ? `  this terminal (${here.tty}): ticket idle ${formatDuration(now - ticket.last_activity)}${ticket.auth_time ? `, authenticated ${formatDuration(now - ticket.auth_time)} ago` : ''}`
              : `  this terminal (${here.tty}): no ticket yet — a bound tier asks for re-authentication here`,
        );
      }
      if (state.refresh_expires_at) lines.push(`  the identity provider's session ends in ${formatDuration(Math.max(0, state.refresh_expires_at - now))}`);
      for (const t of tiers) {
        const next = t.next_in_ms !== undefined ? `; ${t.next_clock} fires in ${formatDuration(Math.max(0, t.next_in_ms))}` : '';
        const verdict = t.decision === 'allow' || t.decision === 'refresh' ? s.green('run') : s.yellow(escapeControl(t.decision === 'step_up' ? `step-up (${t.message})` : `login (${t.message})`));
        lines.push(`  ${escapeControl(t.tier).padEnd(12)} ${verdict}${next}`);
      }
      for (const c of report.credential_callers ?? []) {
        const refused = c.denied ? `, ${c.denied} refused` : '';
        lines.push(`  ${s.dim('credential')} ${c.caller} ${escapeControl(c.server ?? '(no server given)')}: ${c.allowed}× (tier ${c.tiers.map(escapeControl).join(', ')}${refused}), last ${formatDuration(Math.max(0, now - Date.parse(c.last)))} ago`);
      }
      const clusters = held.filter((secret) => secret.kind === 'resource-token').length;
      const kinds = [plural(held.length - clusters, 'AWS credential'), plural(clusters, 'cluster token')].filter(Boolean);
      if (kinds.length > 0) lines.push(`  ${s.dim('keychain')} holds ${kinds.join(' and ')} obtained with this session (guard lock drops them)`);
    } else {
      const what = died ? `session expired (${died === 'idle' ? 'idle too long' : 'too old'})` : 'not signed in';
      lines.push(`${s.red('○')} ${what} — profile ${escapeControl(profile.name)} (${escapeControl(profile.issuer)}); ${escapeControl(loginHint(profile))}`);
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

/** `3 AWS credentials`; nothing for none. */
function plural(count: number, noun: string): string {
  return count === 0 ? '' : `${count} ${noun}${count === 1 ? '' : 's'}`;
}
