/**
 * Merges configuration layers (system, user, project) into one Config.
 * Safe by construction (SPEC §2): later layers may add profiles, tiers,
 * rules, commands and aliases; every time limit is the strictest of all
 * layers that set it; no layer removes an earlier layer's rule. Pure.
 */
import type { AuditSettings, Config, ConfigIssue, Layer, Limits, Origin } from './types.ts';

const LIMIT_KEYS = ['idle', 'max_session', 'reauth_within'] as const;

/**
 * Field-wise strictest of several limits: the shortest durations, confirm,
 * bind and approve_each if any asks. A grace loosens, so its strictest is
 * the shortest that every one of them grants: one without a grace means none.
 */
export function strictest(all: readonly Limits[]): Limits {
  const out: Limits = {};
  for (const limits of all) {
    for (const key of LIMIT_KEYS) {
      const value = limits[key];
      if (value !== undefined && (out[key] === undefined || value < out[key]!)) out[key] = value;
    }
    if (limits.confirm) out.confirm = true;
    if (limits.bind) out.bind = limits.bind;
    if (limits.approve_each) out.approve_each = true;
  }
  const graces = all.map((limits) => limits.offline_grace ?? 0);
  if (graces.length > 0 && graces.every((grace) => grace > 0)) out.offline_grace = Math.min(...graces);
  return out;
}

/**
 * One tier defined again by a later layer: the strictest of both, except
 * that a later layer that says nothing of offline_grace keeps the earlier
 * layer's (a user's own `privileged:` must not drop the system layer's
 * break-glass grace). A later layer may shorten a grace, never add one.
 */
function mergeTier(earlier: Limits | undefined, later: Limits): Limits {
  if (!earlier) return strictest([later]);
  return strictest([earlier, later.offline_grace === undefined ? { ...later, offline_grace: earlier.offline_grace } : later]);
}

/** Field-wise loosest: a missing duration means "no limit", so it wins. Used for session death. */
export function loosest(all: readonly Limits[]): Limits {
  const out: Limits = {};
  for (const key of LIMIT_KEYS) {
    if (all.length > 0 && all.every((limits) => limits[key] !== undefined)) out[key] = Math.max(...all.map((limits) => limits[key]!));
  }
  return out;
}

/**
 * Audit settings, earlier layers first: no later layer can switch off what an
 * earlier one asked for (argv logging, a collector), nor redirect it.
 */
function mergeAudit(earlier: AuditSettings, later: AuditSettings): AuditSettings {
  const patterns = [...(earlier.secret_patterns ?? []), ...(later.secret_patterns ?? [])];
  const sizes = [earlier.max_bytes, later.max_bytes].filter((n) => n !== undefined);
  return {
    ...(earlier.argv || later.argv ? { argv: true } : later.argv === false || earlier.argv === false ? { argv: false } : {}),
    ...(sizes.length ? { max_bytes: Math.min(...sizes) } : {}),
    ...(patterns.length ? { secret_patterns: patterns } : {}),
    ...((earlier.otlp ?? later.otlp) ? { otlp: earlier.otlp ?? later.otlp } : {}),
    ...((earlier.syslog ?? later.syslog) ? { syslog: earlier.syslog ?? later.syslog } : {}),
  };
}

export function mergeLayers(layers: readonly Layer[]): { config: Config; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const at = (origin: Pick<Origin, 'file'> & Partial<Origin>, message: string) =>
    issues.push({ file: origin.file, line: origin.line ?? 1, col: origin.col ?? 1, message });
  const config: Config = {
    layers: [...layers], profiles: new Map(), tiers: new Map(), default_tiers: [], rules: [],
    commands: new Map(), aliases: [], audit: {}, claims: {},
  };
  for (const layer of layers) {
    for (const profile of layer.profiles) {
      const earlier = config.profiles.get(profile.name);
      if (!earlier) config.profiles.set(profile.name, profile);
      else if (earlier.issuer !== profile.issuer || earlier.client_id !== profile.client_id) {
        at(layer, `profile "${profile.name}" is already defined by an earlier layer with another issuer or client; choose another name`);
      }
    }
    config.default_profile ??= layer.default_profile;
    for (const tier of layer.tiers) {
      config.tiers.set(tier.name, { name: tier.name, ...mergeTier(config.tiers.get(tier.name), tier) });
    }
    if (layer.default_tier && !config.default_tiers.includes(layer.default_tier)) config.default_tiers.push(layer.default_tier);
    config.rules.push(...layer.rules);
    const earlierCommands = [...config.commands.values()];
    for (const command of layer.commands) {
      const earlier = config.commands.get(command.name);
      const shadowed = layer.kind === 'project' ? earlierCommands.find((other) => wordsOverlap(other.name, command.name)) : undefined;
      if (earlier) at(command.origin, `command "${command.name}" is already defined in ${earlier.origin.file}:${earlier.origin.line}`);
      else if (shadowed) {
        // `deploy prod` would take `guard deploy prod` away from the user's `deploy` and its `when` escalation (SPEC §13).
        at(command.origin, `command "${command.name}" would shadow "${shadowed.name}" of ${shadowed.origin.file}:${shadowed.origin.line}; a project file may add commands, but none that begins or extends an earlier one`);
      } else config.commands.set(command.name, command);
    }
    for (const alias of layer.aliases) if (!config.aliases.includes(alias)) config.aliases.push(alias);
    if (layer.kind === 'project' && Object.keys(layer.audit).length > 0) at(layer, 'audit settings may only be set by the system or user configuration');
    else config.audit = mergeAudit(config.audit, layer.audit);
    if (layer.policy) {
      if (layer.kind === 'project') at(layer, 'policy_url may only be set by the system or user configuration');
      else config.policy ??= layer.policy;
    }
    config.claims = { ...layer.claims, ...config.claims };
  }
  checkReferences(config, at);
  return { config, issues };
}

/** Does one command's word list begin the other's (`deploy` and `deploy prod`)? */
function wordsOverlap(a: string, b: string): boolean {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  return long === short || long.startsWith(`${short} `);
}

function checkReferences(config: Config, at: (origin: Pick<Origin, 'file'> & Partial<Origin>, message: string) => void): void {
  const tierExists = (name: string) => config.tiers.has(name);
  const known = () => [...config.tiers.keys()].join(', ') || 'none defined';
  for (const layer of config.layers) {
    if (layer.default_tier && !tierExists(layer.default_tier)) at(layer, `default_tier "${layer.default_tier}" is not a defined tier (${known()})`);
    if (layer.default_profile && !config.profiles.has(layer.default_profile)) at(layer, `default_profile "${layer.default_profile}" is not a defined profile`);
  }
  for (const rule of config.rules) {
    if (!tierExists(rule.tier)) at(rule.origin, `rule "${rule.name}": tier "${rule.tier}" is not defined (${known()})`);
    if (rule.profile && !config.profiles.has(rule.profile)) at(rule.origin, `rule "${rule.name}": profile "${rule.profile}" is not defined`);
  }
  for (const command of config.commands.values()) {
    for (const tier of [command.tier, ...command.when.map((when) => when.tier)]) {
      if (tier && !tierExists(tier)) at(command.origin, `command "${command.name}": tier "${tier}" is not defined (${known()})`);
    }
    if (command.profile && !config.profiles.has(command.profile)) at(command.origin, `command "${command.name}": profile "${command.profile}" is not defined`);
  }
}
