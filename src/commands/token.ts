/** `guard token [--profile P] [--tier T]`: a valid access token on stdout and nothing else, after the same decision as `run`. */
import type { Deps } from '../deps.ts';
import { resolveInvocation } from '../policy/resolve.ts';
import { terminalField } from '../session/bound.ts';
import { sessionFields } from '../session/state.ts';
import { loadContext } from './context.ts';
import { authorize, type RunOptions } from './run.ts';

export async function token(deps: Deps, options: RunOptions): Promise<number> {
  const { config } = await loadContext(deps, options, { deferPolicyWarning: true });
  const found = resolveInvocation(config, { invoked: [], argv: [] }, { profile: options.profile, envProfile: deps.env.GUARD_PROFILE, tier: options.tier });
  const resolution = { ...found, label: 'token' };
  const session = await authorize(deps, config, resolution, options, true, {
    subject: { argv: ['token'], shown: 'guard token' },
    confirm: {
      question: `Print an access token of profile ${resolution.profile.name} (tier ${resolution.tier})?`,
      instead: 'to confirm in a script: guard token --yes, or use a tier without confirm',
      prompt: options.prompt,
    },
  });
  deps.audit('allowed', { profile: resolution.profile.name, tier: resolution.tier, rules: [], command: 'token', ...sessionFields(session.state), ...terminalField({ bound: resolution.limits.bind === 'terminal', terminal: session.terminal }) });
  deps.io.out(`${session.tokens!.access_token}\n`);
  return 0;
}
