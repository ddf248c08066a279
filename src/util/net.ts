/** Network names. */

/** A host name or address of this machine (loopback): plain http is allowed only there. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * The socket or TLS error code of a failed fetch (ECONNREFUSED, ENOTFOUND,
 * DEPTH_ZERO_SELF_SIGNED_CERT…), wherever the runtime puts it: Node's fetch
 * (undici) throws `TypeError: fetch failed` with the code on a cause, Bun's
 * (the compiled binary, util/runtime.ts) a TypeError carrying the code
 * itself. Library codes (openid-client's OAUTH_…) are not network codes.
 */
export function fetchErrorCode(error: unknown): string | undefined {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && typeof e === 'object' && depth < 6; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(e.code) && !e.code.startsWith('OAUTH_')) return e.code;
  }
  return undefined;
}
