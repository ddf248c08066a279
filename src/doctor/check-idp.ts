/**
 * Doctor: each configured identity provider — reachable, the discovery
 * document names the configured issuer, the device grant is offered — and
 * this machine's clock against the IdP's `Date` header (ID tokens carry
 * iat/exp/auth_time, checked with a 30 s tolerance).
 */
import { escapeControl } from '../util/text.ts';
import { isGuardError } from '../errors.ts';
import type { Profile } from '../policy/types.ts';
import { assessDiscovery, fetchDiscovery } from '../setup/discovery.ts';
import { formatDuration } from '../util/duration.ts';
import type { CheckResult } from './check.ts';

/** openid-client's default clock tolerance for ID token times; a larger skew makes sign-ins fail. */
export const MAX_CLOCK_SKEW_MS = 30_000;

export async function checkIdp(profiles: readonly Profile[], env: NodeJS.ProcessEnv, timeoutSeconds: number, now: () => number): Promise<CheckResult[]> {
  const byIssuer = new Map<string, string[]>();
  for (const profile of profiles) byIssuer.set(profile.issuer, [...(byIssuer.get(profile.issuer) ?? []), profile.name]);
  const perIssuer = await Promise.all([...byIssuer].map(([issuer, names]) => checkOne(issuer, names, env, timeoutSeconds, now)));
  return perIssuer.flat();
}

async function checkOne(issuer: string, profiles: string[], env: NodeJS.ProcessEnv, timeoutSeconds: number, now: () => number): Promise<CheckResult[]> {
  const label = `IdP ${escapeControl(issuer)} (profile ${profiles.map(escapeControl).join(', ')})`;
  let discovery;
  try {
    discovery = await fetchDiscovery(issuer, env, now, timeoutSeconds);
  } catch (error) {
    if (!isGuardError(error)) throw error;
    return [{ id: 'idp', status: 'fail', class: 'idp', summary: `${label}: ${error.message.split('; ')[0]}`, fix: "check the network, VPN or proxy, and the profile's issuer URL" }];
  }
  const findings = assessDiscovery(issuer, discovery.metadata);
  const results: CheckResult[] = [];
  const failed = findings.find((finding) => finding.status === 'fail');
  if (failed) {
    const fix = failed.id === 'issuer' ? "set the profile's issuer to exactly what the IdP names, if you trust it" : "ask the IdP's administrators to enable the device grant for the client";
    results.push({ id: 'idp', status: 'fail', class: 'idp', summary: `${label}: ${failed.text.split(';')[0]}`, fix });
  } else results.push({ id: 'idp', status: 'pass', summary: `${label}: reachable, issuer matches, device grant offered` });
  for (const finding of findings) {
    if (finding.status === 'warn') results.push({ id: 'idp', status: 'warn', summary: `${label}: ${finding.text}` });
  }
  if (discovery.skewMs === undefined) results.push({ id: 'clock', status: 'warn', summary: `clock: ${label} sent no usable Date header; skew not measured` });
  else {
    const skew = discovery.skewMs;
    const words = `${formatDuration(Math.abs(skew))} ${skew > 0 ? 'behind' : 'ahead of'} the IdP`;
    results.push(
      Math.abs(skew) > MAX_CLOCK_SKEW_MS
        ? { id: 'clock', status: 'fail', class: 'idp', summary: `clock: this machine is ${words} (more than ${MAX_CLOCK_SKEW_MS / 1000}s: sign-ins will fail token time checks)`, fix: 'synchronise the clock (e.g. timedatectl set-ntp true), or tell the IdP admins if theirs is wrong' }
        : { id: 'clock', status: 'pass', summary: `clock: within ${MAX_CLOCK_SKEW_MS / 1000}s of the IdP (${Math.abs(skew) < 1000 ? 'under 1s' : words})` },
    );
  }
  return results;
}
