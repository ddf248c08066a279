/**
 * The central policy's cache in the state folder:
 * `<state>/policy/<source id>.json`, mode 0600, written atomically under the
 * source's lock. It holds the JWS as fetched, its ETag (RFC 7232) and the
 * payload that was verified when it arrived, so a fresh copy is used without
 * loading jose or touching the network.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../files/atomic-write.ts';
import { ensurePrivateDir, parseJsonObject, readPrivateFile } from '../../files/private-file.ts';

export const CACHE_VERSION = 1;

/** A verified copy of the policy document. */
export interface CachedCopy {
  /** The compact JWS (RFC 7515 §7.1) exactly as served. */
  jws: string;
  /** The server's entity tag, sent back as If-None-Match (RFC 7232 §3.2). */
  etag?: string;
  /** When the copy was last confirmed by the server (a 200 that verified, or a 304), ms: its age counts from here. */
  fetched_at: number;
  /** The payload's `iat` and `exp`, seconds since the epoch. `iat` is the version. */
  iat: number;
  exp: number;
  alg: string;
  kid?: string;
  /** The verified payload: a system-layer config plus iat and exp. */
  payload: Record<string, unknown>;
}

export type CheckOutcome = 'updated' | 'not_modified' | 'rejected' | 'failed';

export interface PolicyCache {
  version: typeof CACHE_VERSION;
  url: string;
  /** When guard last asked the server (whatever the answer), ms: schedules the next check. */
  checked_at?: number;
  outcome?: CheckOutcome;
  /** Why the last check failed or its document was rejected. */
  problem?: string;
  copy?: CachedCopy;
}

export interface CacheRead {
  cache?: PolicyCache;
  /** Why an existing file was not used. */
  note?: string;
}

export function policyDir(stateDir: string): string {
  return join(stateDir, 'policy');
}

export function cachePath(stateDir: string, id: string): string {
  return join(policyDir(stateDir), `${id}.json`);
}

export function cacheLockPath(stateDir: string, id: string): string {
  return join(policyDir(stateDir), `${id}.lock`);
}

const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isText = (v: unknown): v is string => typeof v === 'string' && v !== '';

function parseCopy(value: unknown): CachedCopy | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const c = value as Record<string, unknown>;
  if (!isText(c.jws) || !isTime(c.fetched_at) || !isTime(c.iat) || !isTime(c.exp) || !isText(c.alg)) return undefined;
  if ((c.etag !== undefined && !isText(c.etag)) || (c.kid !== undefined && !isText(c.kid))) return undefined;
  if (!c.payload || typeof c.payload !== 'object' || Array.isArray(c.payload)) return undefined;
  return c as unknown as CachedCopy;
}

/** Parses a cache file's text; undefined when it is corrupt, of another version or for another URL. Never throws. */
export function parseCache(text: string, url: string): PolicyCache | undefined {
  const c = parseJsonObject(text);
  if (!c) return undefined;
  if (c.version !== CACHE_VERSION || c.url !== url) return undefined;
  if (c.checked_at !== undefined && !isTime(c.checked_at)) return undefined;
  if (c.copy !== undefined && !parseCopy(c.copy)) return undefined;
  return c as unknown as PolicyCache;
}

/**
 * Reads the cache. A file others can write, or owned by someone else, is not
 * trusted (SPEC §8, state files): its copy could have been forged without
 * the signer's key, so it counts as no copy and the next check refetches.
 */
export function readCache(stateDir: string, id: string, url: string): CacheRead {
  const path = cachePath(stateDir, id);
  const file = readPrivateFile(path);
  if ('missing' in file) return {};
  if ('problem' in file) return { note: `the policy cache ${path} ${file.problem}; ignoring it${file.problem.startsWith('is writable') ? ' (guard policy pull writes a new one)' : ''}` };
  const cache = parseCache(file.text, url);
  return cache ? { cache } : { note: `the policy cache ${path} is corrupt or from another version; ignoring it` };
}

/** Makes `<state>/policy` (0700, tightened if it exists looser). */
export function ensurePolicyDir(stateDir: string): void {
  ensurePrivateDir(stateDir);
  ensurePrivateDir(policyDir(stateDir));
}

/** Writes the cache atomically, mode 0600. Call it holding the source's lock. */
export function writeCache(stateDir: string, id: string, cache: PolicyCache): void {
  ensurePolicyDir(stateDir);
  writeFileAtomic(cachePath(stateDir, id), `${JSON.stringify(cache, null, 2)}\n`);
}
