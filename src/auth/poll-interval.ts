/**
 * How often a device-flow login polls when the IdP names no interval.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.2
 */
import { isLoopbackHost } from '../util/net.ts';

/** RFC 8628 §3.2: without an `interval` from the IdP, clients wait 5 s between polls. */
export const RFC8628_INTERVAL_S = 5;

/**
 * Seconds between polls when the IdP gives no interval. GUARD_POLL_INTERVAL
 * may lower it only for an IdP on this machine (development and tests); for
 * any other issuer it is never below RFC 8628's 5 s, so no setting makes
 * guard poll a real IdP faster than the RFC allows. An interval the IdP
 * names is always used as given (and backed off on `slow_down`).
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.2
 */
export function defaultPollInterval(issuer: string, env: NodeJS.ProcessEnv): number {
  const text = env.GUARD_POLL_INTERVAL;
  const value = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(value) || value < 0.1) return RFC8628_INTERVAL_S;
  return onThisMachine(issuer) ? value : Math.max(value, RFC8628_INTERVAL_S);
}

function onThisMachine(issuer: string): boolean {
  try {
    return isLoopbackHost(new URL(issuer).hostname);
  } catch {
    return false;
  }
}
