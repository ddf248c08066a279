/** What most commands start from: global options, the loaded config and the profile. */
import type { Deps } from '../deps.ts';
import { assertValid, loadConfig, type LoadedConfig } from '../policy/load.ts';
import { loosest } from '../policy/merge.ts';
import { selectProfile } from '../policy/resolve.ts';
import type { Config, Limits, Profile } from '../policy/types.ts';
import { audit, warn } from '../session/store.ts';

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
}

export function loadContext(deps: Deps, options: GlobalOptions): Context {
  const loaded = loadConfig({
    paths: deps.paths,
    cwd: deps.cwd,
    explicitUserConfig: Boolean(options.config || deps.env.GUARD_CONFIG),
  });
  const config = assertValid(loaded);
  for (const warning of loaded.warnings) warn(deps, warning);
  if (loaded.untrusted) audit(deps, 'config_untrusted', { file: loaded.untrusted.file });
  return { loaded, config };
}

export function profileFor(deps: Deps, config: Config, options: GlobalOptions): Profile {
  return selectProfile(config, options.profile ?? deps.env.GUARD_PROFILE);
}

/** The loosest limits over every tier: a session past them is dead. */
export function loosestLimits(config: Config): Limits {
  return loosest([...config.tiers.values()]);
}

export function anyTierUsesReauth(config: Config): boolean {
  return [...config.tiers.values()].some((tier) => tier.reauth_within !== undefined);
}

/** May a device-flow login start inline? SPEC §3: --prompt / --no-prompt, else a TTY and no CI. */
export function loginAllowed(deps: Deps, prompt: boolean | undefined): boolean {
  if (prompt !== undefined) return prompt;
  return (deps.io.stdinIsTTY || deps.io.stderrIsTTY) && !deps.env.CI;
}
