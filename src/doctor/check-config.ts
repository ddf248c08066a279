/**
 * Doctor: each configuration layer (where it came from, valid, trusted) and
 * the central policy (signature verified, age). Reads the cached policy
 * only, never the network: `guard policy pull` is the fix when it is stale.
 */
import type { Deps } from '../deps.ts';
import { isGuardError } from '../errors.ts';
import { escapeControl } from '../util/text.ts';
import { formatIssue, type LoadedConfig } from '../policy/load.ts';
import type { CentralPolicy } from '../policy/central/resolve-central.ts';
import type { LayerKind } from '../policy/types.ts';
import { formatDuration } from '../util/duration.ts';
import type { CheckResult } from './check.ts';
import { shellLine } from '../util/shell-quote.ts';

export interface LayersRead {
  loaded?: LoadedConfig;
  central?: CentralPolicy;
  /** Why nothing could be loaded (no config at all, an unreadable file). */
  error?: string;
}

const KIND_NAMES: Record<LayerKind, string> = { system: 'system policy', user: 'user config', project: 'project file' };

export function checkLayers(deps: Deps, read: LayersRead, show: (path: string) => string): CheckResult[] {
  if (!read.loaded) {
    return [{ id: 'config', status: 'fail', class: 'config', summary: `config: ${escapeControl(read.error ?? 'not loaded')}`, fix: 'guard init writes a first one' }];
  }
  const { loaded } = read;
  const results: CheckResult[] = [];
  for (const layer of loaded.config.layers) {
    if (layer.file.startsWith('policy:')) continue; // the central policy has its own line
    const issues = loaded.issues.filter((issue) => issue.file === layer.file);
    const where = `${KIND_NAMES[layer.kind]} ${escapeControl(show(layer.file))}`;
    if (issues.length === 0) results.push({ id: 'config', status: 'pass', summary: `${where}: valid${layer.kind === 'project' ? ', trusted' : ''}` });
    else {
      results.push({
        id: 'config',
        status: 'fail',
        class: 'config',
        summary: `${where}: ${escapeControl(formatIssue(issues[0]!))}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`,
        fix: `guard config check lists every problem; fix them in ${escapeControl(show(layer.file))}`,
      });
    }
  }
  const orphans = loaded.issues.filter((issue) => !loaded.config.layers.some((layer) => layer.file === issue.file));
  if (orphans.length > 0) results.push({ id: 'config', status: 'fail', class: 'config', summary: `config: ${escapeControl(formatIssue(orphans[0]!))}`, fix: 'guard config check lists every problem' });
  if (loaded.untrusted) {
    results.push({ id: 'config', status: 'fail', class: 'config', summary: `project file ${escapeControl(show(loaded.untrusted.file))}: not trusted, so ignored`, fix: `review it, then: ${shellLine(['guard', 'trust', loaded.untrusted.file])}` });
  }
  if (!loaded.config.layers.some((layer) => layer.kind === 'system')) results.push({ id: 'config', status: 'info', summary: `system policy: none (${escapeControl(deps.paths.systemPolicy)})` });
  return results;
}

export function checkCentralPolicy(read: LayersRead, now: number): CheckResult[] {
  const central = read.central;
  if (!central) return [];
  const url = escapeControl(central.source.url);
  const copy = central.cache?.copy;
  if (!central.health.ok) {
    return [{ id: 'policy', status: 'fail', class: 'unavailable', summary: `central policy ${url}: not current (${escapeControl(central.health.reason ?? 'unknown')}); privileged commands fail closed`, fix: 'guard policy pull (check the network or the policy server if it fails)' }];
  }
  const signer = copy ? `signature verified (${escapeControl(copy.alg)}${copy.kid ? `, kid ${escapeControl(copy.kid)}` : ''})` : 'verified';
  const age = copy ? `, fetched ${formatDuration(now - copy.fetched_at)} ago, max_stale ${formatDuration(central.source.max_stale)}` : '';
  return [{ id: 'policy', status: 'pass', summary: `central policy ${url}: ${signer}${age}` }];
}

/** The load error's message, for a layer set that could not be read at all. */
export function loadProblem(error: unknown): string {
  if (isGuardError(error)) return error.message;
  throw error;
}
