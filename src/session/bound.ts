/**
 * Where terminal binding (SPEC §10) and out-of-band approval (SPEC §11)
 * meet the session check: which terminal asks, whether it has one, and the
 * decision from its ticket. /proc is read only when a tier binds or asks
 * for approval per invocation, so other commands pay nothing.
 */
import type { Deps } from '../deps.ts';
import type { Limits, Profile } from '../policy/types.ts';
import { decide, decideBound, nextExpiry, type Decision } from './decide.ts';
import type { ActiveSession } from './session-types.ts';
import { withIdpLimits } from './idp-limits.ts';
import type { SessionState } from './state.ts';
import { currentTerminal, type Terminal } from './terminal.ts';
import { readTicket, touchTicket } from './tickets.ts';

export interface TerminalContext {
  /** Does the effective tier say `bind: terminal`? */
  bound: boolean;
  /** The caller's terminal (looked up only for bound or approve_each tiers). */
  terminal?: Terminal;
  /**
   * No terminal to ask the person at: no controlling terminal, or neither
   * stdin nor stderr is one (an agent or IDE task with pipes). Such callers
   * need an out-of-band approval for `approve_each` tiers.
   */
  withoutTerminal: boolean;
}

export function terminalContext(deps: Deps, limits: Limits): TerminalContext {
  const bound = limits.bind === 'terminal';
  if (!bound && !limits.approve_each) return { bound, withoutTerminal: false };
  const terminal = currentTerminal();
  return { bound, ...(terminal ? { terminal } : {}), withoutTerminal: !terminal || !(deps.io.stdinIsTTY || deps.io.stderrIsTTY) };
}

/** The SPEC §3 decision, from this terminal's ticket for a bound tier. A bound tier without a terminal always needs an approval. */
export function decideFor(deps: Deps, profile: Profile, limits: Limits, state: SessionState | undefined, context: TerminalContext): Decision {
  const effective = withIdpLimits(limits, state?.idp_limits);
  const now = deps.now();
  if (!context.bound) return decide(effective, state, now);
  if (!context.terminal) {
    const decision = decideBound(effective, state, undefined, now);
    return decision.action === 'step_up' ? { ...decision, message: 'the tier is bound to a terminal and this process has none' } : decision;
  }
  const ticket = state ? readTicket(deps.paths.stateDir, profile.name, context.terminal, state) : undefined;
  return decideBound(effective, state, ticket, now);
}

/** The `terminal` field of a bound tier's audit lines (the tty name, null without one). */
export function terminalField(context: Pick<TerminalContext, 'bound' | 'terminal'>): { terminal?: string | null } {
  return context.bound ? { terminal: context.terminal?.tty ?? null } : {};
}

/**
 * `guard touch` in this terminal, like `sudo -v` with tty tickets: moves
 * the terminal's ticket only while it is still good for the bound tiers
 * (`limits`: their strictest idle and max_session). An idle or missing
 * ticket needs a re-authentication in this terminal, never a touch.
 * Returns whether the ticket moved.
 */
export function touchLiveTicket(stateDir: string, profile: Pick<Profile, 'name'>, terminal: Terminal, limits: Limits, state: SessionState, now: number): boolean {
  const ticket = readTicket(stateDir, profile.name, terminal, state);
  const clocks = withIdpLimits({ idle: limits.idle, max_session: limits.max_session }, state.idp_limits);
  const action = ticket ? decideBound(clocks, state, ticket, now).action : 'step_up';
  if (action !== 'allow' && action !== 'refresh') return false; // refresh: only the access token is old
  touchTicket(stateDir, profile.name, terminal, state, now);
  return true;
}

/**
 * The first limit (idle, max_session, reauth_within) that will fire for an
 * allowed session, and in how many ms: from this terminal's ticket for a
 * bound tier, with the user's IdP-driven limits. Undefined when none is set.
 */
export function nextLimit(deps: Deps, profile: Profile, limits: Limits, active: ActiveSession): ReturnType<typeof nextExpiry> {
  const { state } = active;
  const ticket = limits.bind === 'terminal' && active.terminal ? readTicket(deps.paths.stateDir, profile.name, active.terminal, state) : undefined;
  const clocks = ticket ? { ...state, last_activity: ticket.last_activity, auth_time: ticket.auth_time } : state;
  return nextExpiry(withIdpLimits(limits, state.idp_limits), clocks, deps.now());
}
