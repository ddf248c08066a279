/** `guard explain -- CMD…` (or a named command): matching rules and their layers, effective tier and limits, and what would happen now. Runs nothing. */
import type { Deps } from '../deps.ts';
import { toJsonText } from '../util/text.ts';
import { GuardError } from '../errors.ts';
import { namedInvocation, type Invocation } from '../policy/resolve.ts';
import { describeImplied } from '../policy/implied/implied-words.ts';
import { resolveWithImplied } from '../policy/implied/read-implied.ts';
import type { Limits } from '../policy/types.ts';
import { decide } from '../session/decide.ts';
import { decideFor, terminalContext } from '../session/bound.ts';
import { loadSession } from '../session/current.ts';
import { withIdpLimits } from '../session/idp-limits.ts';
import { formatDuration } from '../util/duration.ts';
import { escapeControl } from '../util/text.ts';
import { callerMatchWords, isCredentialCaller } from '../policy/names.ts';
import { normalizeKubeServer, normalizeUrl } from '../util/normalize-url.ts';
import { deathOf, loadContext, type GlobalOptions } from './context.ts';
import { pathOpenForms } from './credential-caller.ts';

export interface ExplainOptions extends GlobalOptions {
  tier?: string;
}

const limitsJson = (limits: Limits) => ({
  idle: limits.idle !== undefined ? formatDuration(limits.idle) : null,
  max_session: limits.max_session !== undefined ? formatDuration(limits.max_session) : null,
  reauth_within: limits.reauth_within !== undefined ? formatDuration(limits.reauth_within) : null,
  confirm: limits.confirm === true,
  offline_grace: limits.offline_grace ? formatDuration(limits.offline_grace) : null,
});

export async function explain(deps: Deps, given: string[], options: ExplainOptions): Promise<number> {
  if (given.length === 0) throw new GuardError('usage', 'nothing to explain: guard explain -- COMMAND [ARGS…]');
  // A credential caller's server is decided in its normalised form (SPEC §14), as the caller itself does.
  const server = given[1] === undefined ? undefined : given[0] === 'kube-credential' ? normalizeKubeServer(given[1]) : (normalizeUrl(given[1]) ?? given[1]);
  const argv = isCredentialCaller(given[0]) && server !== undefined ? [given[0]!, server, ...given.slice(2)] : given;
  const { config } = await loadContext(deps, options);
  const named = namedInvocation(config, argv, deps.env);
  // git sends no path without credential.useHttpPath: a URL without one is decided as git-credential decides that request.
  const pathOpen = argv[0] === 'git-credential' && argv[1] !== undefined && !/^[^:]+:\/\/[^/]+\/./.test(argv[1]);
  const typed: Invocation = named ?? { invoked: argv, argv: callerMatchWords(argv), forms: pathOpenForms(argv[0]!, argv[1], pathOpen) };
  const { implied, resolution } = await resolveWithImplied(deps, config, typed, { profile: options.profile, envProfile: deps.env.GUARD_PROFILE, tier: options.tier });
  const state = loadSession(deps, resolution.profile);
  const now = deps.now();
  // The user's IdP-driven limits tighten everything, as in run.
  const limits = withIdpLimits(resolution.limits, state?.idp_limits);
  const dead = state ? deathOf(config, state, now) : undefined;
  const decision = dead ? { action: 'login' as const, reason: dead, message: `session expired (${dead}) — it will be ended` } : resolution.limits.bind
      ? decideFor(deps, resolution.profile, resolution.limits, state, terminalContext(deps, resolution.limits))
      : decide(limits, state, now);
  // A confirm tier asks before it runs (SPEC §14), whatever the session's state.
  const run = limits.confirm ? 'confirm, then run' : 'run';
  const outcome =
    decision.action === 'allow' ? run : decision.action === 'refresh' ? `refresh, then ${run}` : decision.action === 'step_up' ? `step-up: ${decision.message}` : `login: ${decision.message}`;
  const report = {
    command: escapeControl(resolution.label),
    // A tool's credential request (SPEC §9): the caller and where the credential goes.
    ...(isCredentialCaller(argv[0]) && argv[1] !== undefined ? { server: escapeControl(argv[1]) } : {}),
    ...(named ? { named_command: named.command.name, argv: typed.argv.map(escapeControl) } : {}),
    profile: resolution.profile.name,
    implied: implied.map((word) => escapeControl(describeImplied(word))),
    rules: resolution.rules.map((rule) => ({ name: rule.name, match: rule.match, tier: rule.tier, layer: rule.origin.layer, file: rule.origin.file, line: rule.origin.line })),
    tiers: resolution.matched.map((m) => ({ tier: m.tier, via: m.via })),
    tier: resolution.tier,
    limits: limitsJson(limits),
    decision: decision.action,
    ...(decision.action === 'allow' ? {} : { reason: decision.reason }),
    outcome,
  };
  if (options.json) {
    deps.io.out(`${toJsonText(report)}\n`);
    return 0;
  }
  const lines = [`command:  ${report.command}${named ? ` → ${report.argv!.join(' ')}` : ''}`, ...(report.server ? [`server:   ${report.server}`] : []), `profile:  ${report.profile}`];
  for (const word of report.implied) lines.push(`implied:  ${word}`);
  if (report.rules.length === 0) lines.push('rules:    none match (default_tier applies)');
  for (const rule of report.rules) lines.push(`rule:     ${rule.name}  "${rule.match}" → ${rule.tier}  (${rule.layer}: ${rule.file}:${rule.line})`);
  for (const t of report.tiers.filter((t) => !t.via.startsWith('rule '))) lines.push(`tier:     ${t.tier} via ${t.via}`);
  const l = report.limits;
  lines.push(`effective tier: ${report.tier} — idle ${l.idle ?? '∞'}, max_session ${l.max_session ?? '∞'}, reauth_within ${l.reauth_within ?? '—'}${l.confirm ? ', confirm' : ''}${l.offline_grace ? `, offline_grace ${l.offline_grace}` : ''}`);
  lines.push(`now:      ${outcome}`);
  deps.io.out(`${lines.map(escapeControl).join('\n')}\n`); // rule names, patterns and files are config text
  return 0;
}
