/**
 * Every request to an identity provider goes through here: it has a
 * timeout, and an IdP found unreachable (no connection, no answer in time,
 * or a gateway saying it is down) is not asked again by the same process.
 * So an outage costs one bounded wait per process, not one per request or
 * retry (a dead session's revocation, then discovery for a sign-in…), and a
 * refused connection costs nothing at all.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isOutage } from './idp-error.ts';

/** The first failure seen per issuer, for the life of this process. */
const down = new Map<string, unknown>();

export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export interface IdpFetchOptions {
  /** Seconds before a request gives up. */
  timeout: number;
  /** Observes every response (for --verbose: slow_down). */
  onResponse?: (url: string, response: Response) => void;
  /**
   * Ask even when this process already found the IdP down (the device flow's
   * poll retries a blip while the user is approving), and do not remember a
   * failure (the retry decides).
   */
  retrying?: boolean;
}

/** A fetch for one issuer's requests, with the timeout and the per-process memory of an outage. */
export function idpFetch(issuer: string, options: IdpFetchOptions): Fetch {
  return async (url, init) => {
    if (!options.retrying && down.has(issuer)) {
      // The same failure again, at once: the caller's error line says what happened.
      throw new TypeError('fetch failed', { cause: down.get(issuer) });
    }
    let response: Response;
    try {
      response = await fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(options.timeout * 1000) });
    } catch (error) {
      if (!options.retrying && isOutage(error)) down.set(issuer, error);
      throw error;
    }
    if (!options.retrying && isOutage({ status: response.status, headers: response.headers })) down.set(issuer, { status: response.status, headers: response.headers });
    options.onResponse?.(url, response);
    return response;
  };
}

export interface PollFetch extends Fetch {
  /** The network failure of the last attempt, until a response comes (to say why when the code ran out). */
  lastFailure(): unknown;
}

const MAX_PAUSE_S = 15;

/**
 * For a device flow's polls (the user is approving meanwhile): a poll that
 * fails on the network (a blip, a restarting IdP, a request that timed out)
 * is sent again after a growing pause (1 s, 2 s, 4 s… at most 15 s) for as
 * long as `signal` lasts (the code's lifetime, or Ctrl-C), instead of
 * ending the sign-in. `onBlip` hears the first failure of each stretch.
 */
export function pollFetch(issuer: string, options: Omit<IdpFetchOptions, 'retrying'> & { signal: AbortSignal; onBlip?: (error: unknown) => void }): PollFetch {
  const plain = idpFetch(issuer, { ...options, retrying: true });
  let failure: unknown;
  const fetchWithRetry = async (url: string, init: RequestInit): Promise<Response> => {
    for (let attempt = 0; ; attempt++) {
      try {
        // Each attempt gets its own timeout; the poll's signal ends them all.
        const response = await plain(url, { ...init, signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.timeout * 1000)]) });
        failure = undefined;
        return response;
      } catch (error) {
        if (options.signal.aborted || !isOutage(error)) throw error;
        if (failure === undefined) options.onBlip?.(error);
        failure = error;
      }
      await sleep(Math.min(2 ** attempt, MAX_PAUSE_S) * 1000, undefined, { signal: options.signal }).catch(() => {
        throw failure;
      });
    }
  };
  return Object.assign(fetchWithRetry, { lastFailure: () => failure });
}
