/**
 * Which commands fail closed when the central policy is not current
 * (SPEC §8). A command is privileged when its effective limits ask for a
 * step-up (`reauth_within`) or a confirmation (`confirm: true`), or when a
 * tier named `privileged` applies to it. With no valid copy ever received,
 * every wrapped command fails closed: only the central rules might guard
 * it, and unplugging the network at first install must not unguard it
 * (issue 13). Pure.
 */
import { escapeControl } from '../../util/text.ts';
import { GuardError } from '../../errors.ts';
import type { Limits } from '../types.ts';
import type { CentralPolicy } from './resolve-central.ts';

export function isPrivileged(limits: Limits, tiers: readonly string[]): boolean {
  return limits.reauth_within !== undefined || limits.confirm === true || tiers.includes('privileged');
}

/**
 * The error for a privileged command when the central policy is not
 * current, or undefined when the command may go on. Exit 69: something guard
 * depends on is unavailable, and guard fails closed.
 */
export function policyRefusal(central: CentralPolicy | undefined, limits: Limits, tiers: readonly string[], label: string): GuardError | undefined {
  if (!central || central.health.ok) return undefined;
  if (!central.cache?.copy) {
    return new GuardError(
      'unavailable',
      `no valid copy of the central policy ${central.source.url} has been received yet${lastCheck(central.health.reason)}; not running "${escapeControl(label)}" — check the network or the policy server, then run: guard policy pull`,
    );
  }
  if (!isPrivileged(limits, tiers)) return undefined;
  return new GuardError(
    'unavailable',
    `"${escapeControl(label)}" is privileged and the central policy ${central.source.url} is not current (${central.health.reason}); not running it — check the network or the policy server, then run: guard policy pull`,
  );
}

/** ` (last check: …)` from a health reason that already says no copy was fetched, so the line says it once. */
function lastCheck(reason: string | undefined): string {
  const rest = (reason ?? '').replace(/^no valid copy has been fetched yet\s*/, '');
  return rest ? ` ${rest}` : '';
}
