/**
 * The central policy for this invocation (SPEC §8): the cached, verified
 * copy as a system layer, refreshed first when policy_refresh has passed,
 * and its health (may privileged tiers rely on it?). With a fresh cache this
 * reads one small file: no network, no jose.
 */
import type { Deps } from '../../deps.ts';
import type { PolicySource } from '../types.ts';
import { assessCopy, isCheckDue, type PolicyHealth } from './assess-policy.ts';
import { layerTextOf } from './policy-layer.ts';
import { readCache, type PolicyCache } from './policy-cache.ts';
import { effectiveSource, type EffectiveSource } from './source.ts';

/** A check on the way to a command may hold it up this long, no more. */
export const HOT_PATH_TIMEOUT_MS = 2_000;

export interface CentralPolicy {
  source: EffectiveSource;
  cache?: PolicyCache;
  /** The verified payload as a system layer, when a copy exists (even a stale one: non-privileged tiers follow it). */
  layer?: { text: string; file: string };
  health: PolicyHealth;
  /** What this invocation's check did, if it checked. */
  checked?: { outcome: string; problem?: string };
  /** One line each, for stderr. */
  warnings: string[];
  /**
   * The warning for commands that go on while the policy is not current. Kept
   * apart from `warnings`: a privileged command that fails closed says it in
   * its one error line instead.
   */
  notCurrent?: string;
}

export interface ResolveOptions {
  /** false: look at the cache only (guard policy status). */
  network?: boolean;
  /** Check now, whatever policy_refresh says, and wait for the answer (guard policy pull). */
  force?: boolean;
  timeoutMs?: number;
}

const versionOf = (iat: number) => new Date(iat * 1000).toISOString();

/**
 * Resolves the central policy named by a system or user layer. Throws a
 * config error (78) only for a source that cannot work at all (not https,
 * no keys); everything the server does wrong leaves the cached copy in force.
 */
export async function resolveCentralPolicy(deps: Deps, policy: PolicySource, options: ResolveOptions = {}): Promise<CentralPolicy> {
  const source = effectiveSource(policy);
  const warnings: string[] = [];
  const read = readCache(deps.paths.stateDir, source.id, source.url);
  if (read.note) warnings.push(read.note);
  let cache = read.cache;
  let checked: CentralPolicy['checked'];
  if (options.network !== false && (options.force || isCheckDue(cache, source, deps.now()))) {
    const { refreshPolicy } = await import('./refresh-policy.ts');
    const usable = assessCopy(cache, source, deps.now()).ok;
    const result = await refreshPolicy(deps, source, {
      force: options.force === true,
      wait: options.force === true || !usable,
      timeoutMs: options.timeoutMs ?? HOT_PATH_TIMEOUT_MS,
    });
    cache = result.cache ?? cache;
    checked = { outcome: result.outcome, ...(result.problem ? { problem: result.problem } : {}) };
    if (result.outcome === 'rejected') {
      const kept = cache?.copy ? `keeping the cached copy (version ${versionOf(cache.copy.iat)})` : 'no copy is in force';
      warnings.push(`warning: the central policy ${source.url} sent a document that was ${result.problem}; ${kept}`);
    } else if (result.outcome === 'failed' && deps.verbose) {
      warnings.push(`note: could not check the central policy ${source.url}: ${result.problem}`);
    }
  }
  const health = assessCopy(cache, source, deps.now());
  const following = cache?.copy ? 'following the cached copy' : 'following the local configuration only';
  return {
    source,
    ...(cache ? { cache } : {}),
    ...(cache?.copy ? { layer: { text: layerTextOf(cache.copy.payload), file: source.label } } : {}),
    health,
    ...(health.ok ? {} : { notCurrent: `warning: the central policy ${source.url} is not current: ${health.reason}; ${following}, and ${cache?.copy ? 'privileged' : 'wrapped'} commands are refused until it is (check the network or the policy server, then run: guard policy pull)` }),
    ...(checked ? { checked } : {}),
    warnings,
  };
}

