/**
 * Asks the policy server for a newer document, under the source's lock so
 * at most one request is in flight across parallel guard processes. Loaded
 * only when a check is due (or `guard policy pull`): the hot path with a
 * fresh cache never gets here.
 */
import type { Deps } from '../../deps.ts';
import { acquireLock, acquireLockSync, type Lock } from '../../files/lock.ts';
import { isCheckDue } from './assess-policy.ts';
import { fetchJwks, fetchPolicyDocument } from './fetch-policy.ts';
import { raiseIatFloor, readIatFloor } from './iat-floor.ts';
import { cacheLockPath, ensurePolicyDir, readCache, writeCache, type CheckOutcome, type PolicyCache } from './policy-cache.ts';
import type { EffectiveSource } from './source.ts';

export interface RefreshOptions {
  /** Ask the server even if the last check is recent (guard policy pull). */
  force: boolean;
  /**
   * Wait for another process's fetch to finish instead of going on with the
   * cache: when there is no usable copy, its answer is worth the wait.
   */
  wait: boolean;
  /** Per request. */
  timeoutMs: number;
}

export interface RefreshResult {
  cache: PolicyCache | undefined;
  /** What this process's check found; `skipped` when another process checked, or is checking, meanwhile. */
  outcome: CheckOutcome | 'skipped';
  problem?: string;
}

/** Longer than any fetch can take: a lock older than this was left by a crash. */
const LOCK_STALE_MS = 60_000;

async function lock(deps: Deps, source: EffectiveSource, options: RefreshOptions): Promise<Lock | undefined> {
  const path = cacheLockPath(deps.paths.stateDir, source.id);
  const what = `the lock of ${source.label}`;
  try {
    if (options.wait) return await acquireLock(path, { timeout: 2 * options.timeoutMs + 3_000, stale: LOCK_STALE_MS, what });
    return acquireLockSync(path, { timeout: 0, stale: LOCK_STALE_MS, what });
  } catch (error) {
    if ((error as { code?: string }).code === 'unavailable') return undefined; // someone else is fetching
    throw error;
  }
}

/** Fetches, verifies and caches; the cached copy stays in force whatever goes wrong. */
export async function refreshPolicy(deps: Deps, source: EffectiveSource, options: RefreshOptions): Promise<RefreshResult> {
  ensurePolicyDir(deps.paths.stateDir);
  const held = await lock(deps, source, options);
  if (!held) return { cache: readCache(deps.paths.stateDir, source.id, source.url).cache, outcome: 'skipped' };
  try {
    // Re-read under the lock: the process that held it may have just checked.
    const cache = readCache(deps.paths.stateDir, source.id, source.url).cache;
    if (!options.force && !isCheckDue(cache, source, deps.now())) return { cache, outcome: 'skipped' };
    const { outcome, problem, copy } = await check(deps, source, cache, options.timeoutMs);
    const next: PolicyCache = {
      version: 1,
      url: source.url,
      checked_at: deps.now(),
      outcome,
      ...(problem ? { problem } : {}),
      ...(copy ? { copy } : {}),
    };
    writeCache(deps.paths.stateDir, source.id, next);
    return { cache: next, outcome, ...(problem ? { problem } : {}) };
  } finally {
    held.release();
  }
}

async function check(deps: Deps, source: EffectiveSource, cache: PolicyCache | undefined, timeoutMs: number): Promise<{ outcome: CheckOutcome; problem?: string; copy?: PolicyCache['copy'] }> {
  const copy = cache?.copy;
  try {
    const response = await fetchPolicyDocument(source.url, { ...(copy?.etag ? { etag: copy.etag } : {}), timeoutMs });
    if (response.status === 'not_modified') return { outcome: 'not_modified', copy: { ...copy!, fetched_at: deps.now() } };
    const etag = response.etag ? { etag: response.etag } : {};
    // The very document we verified before (a server without ETags): confirmed, nothing to verify again.
    if (copy && response.body === copy.jws) {
      const { etag: _old, ...rest } = copy;
      return { outcome: 'not_modified', copy: { ...rest, ...etag, fetched_at: deps.now() } };
    }
    const { verifyPolicy, PolicyRejected } = await import('./verify-policy.ts');
    try {
      const keys = source.keys ? { keys: source.keys } : await fetchJwks(source.jwks_url!, timeoutMs);
      // Older than the newest version ever accepted from this URL, under any keys, is a rollback.
      const floor = Math.max(copy?.iat ?? -1, readIatFloor(deps.paths.stateDir, source.url) ?? -1);
      const verified = await verifyPolicy(response.body, { keys, now: deps.now(), label: source.label, ...(floor >= 0 ? { cachedIat: floor } : {}) });
      raiseIatFloor(deps.paths.stateDir, source.url, verified.iat);
      return { outcome: 'updated', copy: { jws: response.body, ...etag, fetched_at: deps.now(), ...verified } };
    } catch (error) {
      if (!(error instanceof PolicyRejected)) throw error;
      deps.audit('policy_rejected', { policy: source.url, reason: error.message, ...(copy ? { kept_version: copy.iat } : {}) });
      return { outcome: 'rejected', problem: `rejected: ${error.message}`, ...(copy ? { copy } : {}) };
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { outcome: 'failed', problem: reason, ...(copy ? { copy } : {}) };
  }
}
