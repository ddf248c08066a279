/**
 * `guard kubeconfig --context C [--tier T] [--profile P] [--undo]` (SPEC §9):
 * points context C's user at `guard kube-credential`, in the first file of
 * KUBECONFIG or ~/.kube/config, keeping a backup; prints what it changed.
 * `--undo` puts the user back from the backup.
 */
import type { Deps } from '../deps.ts';
import { GuardError } from '../errors.ts';
import { pointContextAtGuard, restoreContext, type GuardExec } from '../integrations/kube/kubeconfig-edit.ts';
import { kubeconfigPath, readBackups, readKubeconfig, writeBackups, writeKubeconfig } from '../integrations/kube/kubeconfig-file.ts';
import { editBackupPath } from '../files/edit-backup.ts';
import { escapeControl } from '../util/text.ts';
import { launcherPath } from '../util/runtime.ts';
import { shellLine } from '../util/shell-quote.ts';
import { impliedWords } from '../policy/implied/implied-words.ts';
import { resolveWithImplied, systemImpliedReader } from '../policy/implied/read-implied.ts';
import type { Config } from '../policy/types.ts';
import { loadContext, profileFor, type GlobalOptions } from './context.ts';

export interface KubeconfigOptions extends GlobalOptions {
  context?: string;
  tier?: string;
  undo?: boolean;
  /** The file that starts this guard (util/runtime.ts selfPath()). */
  self?: string;
}

export async function kubeconfig(deps: Deps, options: KubeconfigOptions): Promise<number> {
  const context = options.context;
  if (!context) throw new GuardError('usage', 'which context? guard kubeconfig --context NAME');
  const file = kubeconfigPath(deps.env);
  const text = readKubeconfig(file);
  const backups = readBackups(file);
  const say = (lines: string[]) => deps.io.out(`${lines.map(escapeControl).join('\n')}\n`);

  if (options.undo) {
    const backup = backups[context];
    if (!backup) throw new GuardError('usage', escapeControl(`no backup for context "${context}" in ${editBackupPath(file)}; nothing to undo`));
    const result = restoreContext(text, file, context, backup);
    // Changed by hand since: keep the backup (it may hold the only copy of the old credentials).
    if (!result.changed) throw new GuardError('config', escapeControl(`${result.summary}; the backup stays in ${editBackupPath(file)}`));
    writeKubeconfig(file, result.text);
    delete backups[context];
    writeBackups(file, backups);
    say([`edited: ${file}`, `  ${result.summary}`]);
    return 0;
  }

  // Check the tier and profile now, not when kubectl first runs the plugin.
  const { config } = await loadContext(deps, options);
  if (options.tier !== undefined && !config.tiers.has(options.tier)) throw new GuardError('usage', `unknown tier "${options.tier}" (known: ${[...config.tiers.keys()].join(', ')})`);
  if (options.profile !== undefined) profileFor(deps, config, options);
  const exec: GuardExec = {
    // GUI tools often have another PATH: the absolute path when there is one.
    command: launcherPath(options.self) ?? 'guard',
    args: ['kube-credential', ...(options.profile ? ['--profile', options.profile] : []), ...(options.tier ? ['--tier', options.tier] : [])],
  };
  const result = pointContextAtGuard(text, file, context, exec);
  if (!result.changed) {
    say([`unchanged: ${file}`, `  ${result.summary}`]);
    return 0;
  }
  // The backup first: a crash in between leaves an undo with nothing to undo, never an edit without its backup.
  if (result.backup && !backups[context]) {
    backups[context] = result.backup;
    writeBackups(file, backups);
  }
  writeKubeconfig(file, result.text);
  say([`edited: ${file} (backup: ${editBackupPath(file)})`, `  ${result.summary}`, await tierLine(deps, config, context, options), `  undo: ${shellLine(['guard', 'kubeconfig', '--context', context, '--undo'])}`]);
  return 0;
}

/**
 * The tier kube-credential will apply for this context's cluster (SPEC §14:
 * kubectl's rules on it count), and a hint when no rule names the cluster
 * and no --tier was given.
 */
async function tierLine(deps: Deps, config: Config, context: string, options: KubeconfigOptions): Promise<string> {
  const reader = systemImpliedReader(deps);
  const server = (await impliedWords(['kubectl', '--context', context], new Set(['--server']), reader))[0]?.value;
  const words = server === undefined ? ['kube-credential'] : ['kube-credential', server];
  const { resolution } = await resolveWithImplied(deps, config, { invoked: words, argv: words }, { profile: options.profile, envProfile: deps.env.GUARD_PROFILE, tier: options.tier });
  const via = resolution.matched.map((m) => m.via).join(', ');
  const named = resolution.rules.length > 0 || options.tier !== undefined;
  return named
    ? `  tier: ${resolution.tier} (${via})`
    : `  tier: ${resolution.tier} (default_tier: no rule names this cluster; add one such as "kubectl ** ${server === undefined ? `--context=${context}` : `--server=${server}`}", or pass --tier)`;
}
