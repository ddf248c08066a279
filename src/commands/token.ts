/** `guard token [--profile P] [--tier T]`: a valid access token on stdout and nothing else, after the same decision as `run`. */
import type { Deps } from '../deps.ts';
import { resolveInvocation } from '../policy/resolve.ts';
import { ensureSession } from '../session/ensure.ts';
import { audit } from '../session/store.ts';
import { anyTierUsesReauth, assertPolicyAllows, loadContext, loginAllowed, loosestLimits } from './context.ts';
import { confirmRun, type RunOptions } from './run.ts';

export async function token(deps: Deps, options: RunOptions): Promise<number> {
  const { config } = await loadContext(deps, options);
  const resolution = resolveInvocation(config, { invoked: [], argv: [] }, { profile: options.profile, envProfile: deps.env.GUARD_PROFILE, tier: options.tier });
  assertPolicyAllows(deps, config, resolution);
  const session = await ensureSession(deps, {
    profile: resolution.profile,
    limits: resolution.limits,
    loosest: loosestLimits(config),
    tier: resolution.tier,
    rules: [],
    command: 'token',
    allowLogin: loginAllowed(deps, options.prompt),
    needTokens: true,
    requireAuthTime: anyTierUsesReauth(config),
    claims: config.claims,
    noBrowser: options.browser === false,
  });
  if (resolution.limits.confirm) await confirmRun(deps, resolution, { invoked: ['token'], argv: [] }, options);
  audit(deps, 'allowed', { profile: resolution.profile.name, tier: resolution.tier, rules: [], command: 'token', session_id: session.state.session_id });
  deps.io.out(`${session.tokens!.access_token}\n`);
  return 0;
}
