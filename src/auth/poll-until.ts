/**
 * Polling a token endpoint until a grant is approved (RFC 8628 §3.4, CIBA
 * Core §7.3), ended at once by Ctrl-C or expiry: openid-client looks at the
 * signal only between waits (up to the IdP's interval), so guard races it.
 */

/** The signal that ends a poll: the caller's (Ctrl-C) or the grant's own expiry, whichever comes first. */
export function pollSignal(expiresIn: number, cancel?: AbortSignal): { signal: AbortSignal; expiry: AbortSignal } {
  const expiry = AbortSignal.timeout(expiresIn * 1000);
  return { signal: cancel ? AbortSignal.any([cancel, expiry]) : expiry, expiry };
}

/** Resolves with `polling`, or rejects as soon as `signal` aborts; the losing poll settles later, unobserved. */
export function pollUntil<T>(polling: Promise<T>, signal: AbortSignal): Promise<T> {
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  polling.catch(() => undefined);
  return Promise.race([polling, aborted]);
}
