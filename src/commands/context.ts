/** What most commands start from: global options, the loaded config and the profile. */
import { warn, type Deps } from '../deps.ts';
import { GuardError } from '../errors.ts';
import { policyRefusal } from '../policy/central/fail-closed.ts';
import { resolveCentralPolicy, type CentralPolicy } from '../policy/central/resolve-central.ts';
import { assertValid, formatIssue, loadConfig, type LoadedConfig, type LoadOptions } from '../policy/load.ts';
import { loosest } from '../policy/merge.ts';
import { selectProfile, type Resolution } from '../policy/resolve.ts';
import type { Config, Limits, Profile } from '../policy/types.ts';
import { deathReason } from '../session/decide.ts';
import { withIdpLimits } from '../session/idp-limits.ts';
import type { SessionState } from '../session/state.ts';

export interface GlobalOptions {
  config?: string;
  profile?: string;
  verbose?: boolean;
  quiet?: boolean;
  json?: boolean;
}

export interface Context {
  loaded: LoadedConfig;
  config: Config;
  /** The central policy (issue 9), when a system or user layer sets policy_url. */
  central?: CentralPolicy;
}

/** Each config's central policy, so a command that holds only the Config can still fail closed (assertPolicyAllows). */
const centralOf = new WeakMap<Config, { central: CentralPolicy; warned: boolean }>();

export interface LoadContextSettings {
  /**
   * Hold back the "central policy not current" warning until
   * assertPolicyAllows knows the command's tier: a privileged command then
   * fails with one error line, the others go on with the warning.
   */
  deferPolicyWarning?: boolean;
}

/**
 * Reads every layer without judging it (for loadContext, and for commands
 * that list problems or must stay offline, like config check and
 * completion). When a system or user layer sets policy_url, the central
 * policy joins as a system layer (refreshed first if policy_refresh has
 * passed, unless `network` is false) and the layers are merged again with
 * it: parsing a few small files twice is cheaper than a second code path.
 */
export async function loadLayers(deps: Deps, options: GlobalOptions, settings: { network?: boolean } = {}): Promise<{ loaded: LoadedConfig; central?: CentralPolicy }> {
  const loadOptions: LoadOptions = {
    paths: deps.paths,
    cwd: deps.cwd,
    explicitUserConfig: Boolean(options.config || deps.env.GUARD_CONFIG),
  };
  const local = await loadConfig(loadOptions);
  if (!local.config.policy) return { loaded: local };
  const central = await resolveCentralPolicy(deps, local.config.policy, { network: settings.network !== false });
  return { loaded: central.layer ? await loadConfig({ ...loadOptions, extraSystem: central.layer }) : local, central };
}

/** Loads and checks the configuration, central policy included: what most commands start from. */
export async function loadContext(deps: Deps, options: GlobalOptions, settings: LoadContextSettings = {}): Promise<Context> {
  const { loaded, central } = await loadLayers(deps, options);
  if (central) {
    for (const warning of central.warnings) warn(deps, warning);
    if (!central.layer && loaded.issues.length > 0) {
      // The local layers may lean on tiers or profiles only the central policy defines: say what is missing first.
      throw new GuardError('unavailable', `the central policy ${central.source.url} is not available (${central.health.reason}) and the local configuration alone is incomplete (${formatIssue(loaded.issues[0]!)}); check the network or the policy server, then run: guard policy pull`);
    }
  }
  const config = assertValid(loaded);
  deps.configureAudit(config.audit);
  for (const warning of loaded.warnings) warn(deps, warning);
  if (loaded.untrusted) deps.audit('config_untrusted', { file: loaded.untrusted.file });
  if (central) {
    const warned = Boolean(central.notCurrent && !settings.deferPolicyWarning);
    if (warned) warn(deps, central.notCurrent!);
    centralOf.set(config, { central, warned });
  }
  return { loaded, config, ...(central ? { central } : {}) };
}

/**
 * Privileged commands fail closed (exit 69) while the central policy is not
 * current (SPEC §8). Call it right after resolving the command, before any
 * sign-in: the missing policy, not the missing session, is the reason.
 */
/** What every audit line about a resolved command carries first: profile, tier, the rules that chose it, the command. */
export function resolutionFields(resolution: Resolution): { profile: string; tier: string; rules: string[]; command: string } {
  return { profile: resolution.profile.name, tier: resolution.tier, rules: resolution.rules.map((rule) => rule.name), command: resolution.label };
}

export function assertPolicyAllows(deps: Deps, config: Config, resolution: Resolution): void {
  const entry = centralOf.get(config);
  const tiers = resolution.matched.map((m) => m.tier);
  const refusal = policyRefusal(entry?.central, resolution.limits, tiers, resolution.label);
  if (!refusal) {
    if (entry?.central.notCurrent && !entry.warned) {
      warn(deps, entry.central.notCurrent);
      entry.warned = true;
    }
    return;
  }
  deps.audit('denied', { ...resolutionFields(resolution), reason: 'policy_unavailable' });
  throw refusal;
}

export function profileFor(deps: Deps, config: Config, options: GlobalOptions): Profile {
  return selectProfile(config, options.profile ?? deps.env.GUARD_PROFILE);
}

/**
 * The loosest limits of the system and user tiers: past them the session is
 * dead (SPEC §8). A project tier cannot stretch them (a tier `lax: {}` in a
 * cloned repository would otherwise keep a dead session and its refresh token alive).
 */
export function loosestLimits(config: Config): Limits {
  const outside = new Set(config.layers.filter((layer) => layer.kind !== 'project').flatMap((layer) => layer.tiers.map((tier) => tier.name)));
  const tiers = [...config.tiers.values()];
  const counted = tiers.filter((tier) => outside.has(tier.name));
  return loosest(counted.length > 0 ? counted : tiers);
}

/**
 * Why a stored session is dead (SPEC §8: past the loosest limits, the
 * user's IdP-driven limits included), or undefined while it lives. Only
 * run, token, login and logout act on it; status and explain just say so.
 */
export function deathOf(config: Config, state: SessionState, now: number): 'idle' | 'max_session' | undefined {
  return deathReason(withIdpLimits(loosestLimits(config), state.idp_limits), state, now);
}

export function anyTierUsesReauth(config: Config): boolean {
  return [...config.tiers.values()].some((tier) => tier.reauth_within !== undefined);
}

/** May a device-flow login start inline? SPEC §3: --prompt / --no-prompt, else a TTY and no CI. */
export function loginAllowed(deps: Deps, prompt: boolean | undefined): boolean {
  if (prompt !== undefined) return prompt;
  return (deps.io.stdinIsTTY || deps.io.stderrIsTTY) && !deps.env.CI;
}
