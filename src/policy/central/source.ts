/**
 * The central policy source as configured (`policy_url`, `policy_jwks_url`,
 * `policy_keys`, `policy_refresh`, `policy_max_stale`): defaults, checks
 * that need no network, and the identity its cache is filed under.
 */
import { lazyCrypto } from '../../util/builtins.ts';
import { GuardError } from '../../errors.ts';
import { isLoopbackHost } from '../../util/net.ts';
import type { PolicySource } from '../types.ts';

/** How often a cached copy is re-checked when `policy_refresh` is not set. */
export const DEFAULT_REFRESH_MS = 5 * 60_000;
/** How old a cached copy may grow while the server is unreachable when `policy_max_stale` is not set. */
export const DEFAULT_MAX_STALE_MS = 24 * 3_600_000;
/** A failed check (network, HTTP error) is retried sooner than policy_refresh, but not on every invocation. */
export const RETRY_AFTER_FAILURE_MS = 30_000;

export interface EffectiveSource {
  url: string;
  jwks_url?: string;
  keys?: unknown[];
  refresh: number;
  max_stale: number;
  /** For messages, file names in origins and the audit log: `policy:<url>`. */
  label: string;
  /** Names the cache file: changing the URL or the keys starts a new cache (a copy verified with old keys is not kept). */
  id: string;
}

/** https everywhere; plain http only on loopback (development and tests), like an issuer. */
function isAllowedUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  } catch {
    return false;
  }
}

/**
 * Applies defaults and checks what can be checked offline. Throws a config
 * error (78): guard cannot verify anything from a source that fails these.
 */
export function effectiveSource(source: PolicySource): EffectiveSource {
  const label = `policy:${source.url}`;
  if (!isAllowedUrl(source.url)) throw new GuardError('config', `policy_url ${source.url} must be an https:// URL; fix the system or user configuration`);
  if (source.jwks_url !== undefined && !isAllowedUrl(source.jwks_url)) {
    throw new GuardError('config', `policy_jwks_url ${source.jwks_url} must be an https:// URL; fix the system or user configuration`);
  }
  if (source.jwks_url === undefined && (source.keys === undefined || source.keys.length === 0)) {
    throw new GuardError('config', `policy_url ${source.url} needs policy_jwks_url or policy_keys to verify its signature; add one to the configuration`);
  }
  for (const key of source.keys ?? []) {
    if (!key || typeof key !== 'object' || Array.isArray(key) || typeof (key as { kty?: unknown }).kty !== 'string') {
      throw new GuardError('config', 'each entry of policy_keys must be a public JWK (RFC 7517) with "kty"; fix the configuration');
    }
    if ('d' in key) throw new GuardError('config', 'policy_keys holds a private key ("d"): publish only the public half; remove it from the configuration now');
  }
  const id = lazyCrypto().createHash('sha256').update(JSON.stringify([source.url, source.jwks_url ?? null, source.keys ?? null])).digest('hex').slice(0, 24);
  return {
    url: source.url,
    ...(source.jwks_url !== undefined ? { jwks_url: source.jwks_url } : {}),
    ...(source.keys !== undefined ? { keys: source.keys } : {}),
    refresh: source.refresh ?? DEFAULT_REFRESH_MS,
    max_stale: source.max_stale ?? DEFAULT_MAX_STALE_MS,
    label,
    id,
  };
}
