/**
 * `guard completion [bash|zsh|fish]`: prints a completion script generated
 * from the commander program (the same scripts are checked in under
 * completions/). The hidden `--list profiles|tiers|commands [--after WORDS]`
 * is what those scripts call at completion time for the words that depend
 * on the config; it never touches the network, the keychain or the audit
 * log, and prints nothing when no config can be read.
 */
import type { Command } from 'commander';
import type { Deps } from '../deps.ts';
import { GuardError } from '../errors.ts';
import { loadConfig } from '../policy/load.ts';
import type { Config } from '../policy/types.ts';
import { formatDuration } from '../util/duration.ts';
import { escapeControl } from '../util/text.ts';
import { describeProgram } from '../shell/completion-model.ts';
import { renderBashCompletion } from '../shell/completion-bash.ts';
import { renderZshCompletion } from '../shell/completion-zsh.ts';
import { renderFishCompletion } from '../shell/completion-fish.ts';
import { chooseShell, type ShellName } from '../shell/shells.ts';
import type { GlobalOptions } from './context.ts';
import { readKubeconfig } from '../setup/kubeconfig-read.ts';
import { kubeconfigPaths } from '../policy/implied/kubeconfig.ts';
import { clientGoHome } from '../policy/implied/home-dir.ts';
import { renderManPage, type ManPage } from '../ui/man-page.ts';

export interface CompletionOptions extends GlobalOptions {
  /** The program to describe (cli.ts passes its own). */
  program: Command;
  list?: string;
  after?: string;
  /** `--man`: print this page instead. */
  man?: boolean;
  manPage?: ManPage;
}

const RENDERERS: Record<ShellName, typeof renderBashCompletion> = {
  bash: renderBashCompletion,
  zsh: renderZshCompletion,
  fish: renderFishCompletion,
};

/** The completion script for one shell; depends on the program only, never on config or environment. */
export function renderCompletion(shell: ShellName, program: Command): string {
  return RENDERERS[shell](describeProgram(program));
}

export async function completion(deps: Deps, shellArg: string | undefined, options: CompletionOptions): Promise<number> {
  if (options.list !== undefined) {
    const words = await listWords(deps, options, options.list, options.after ?? '');
    // Config text reaches the terminal while the user types: no control characters.
    deps.io.out(words.map(([word, description]) => `${escapeControl(word)}\t${escapeControl(description)}\n`).join(''));
    return 0;
  }
  if (options.man && options.manPage) {
    deps.io.out(renderManPage(options.manPage));
    return 0;
  }
  const shell = chooseShell(shellArg, deps.env, 'guard completion SHELL');
  deps.io.out(renderCompletion(shell, options.program));
  return 0;
}

async function listWords(deps: Deps, options: GlobalOptions, kind: string, after: string): Promise<Array<[string, string]>> {
  if (!['profiles', 'tiers', 'commands', 'contexts'].includes(kind)) throw new GuardError('usage', `unknown list "${kind}" (profiles, tiers, commands or contexts)`);
  if (kind === 'contexts') return kubeContexts(deps);
  let config: Config;
  try {
    config = (await loadConfig({ paths: deps.paths, cwd: deps.cwd, explicitUserConfig: Boolean(options.config || deps.env.GUARD_CONFIG) })).config;
  } catch {
    return []; // no config yet: nothing to offer, and nothing to say while the user presses TAB
  }
  if (kind === 'profiles') return [...config.profiles.values()].map((p) => [p.name, p.issuer]);
  if (kind === 'tiers') {
    return [...config.tiers.values()].map((t) => {
      const limits = [t.idle && `idle ${formatDuration(t.idle)}`, t.max_session && `max ${formatDuration(t.max_session)}`, t.reauth_within && `re-auth ${formatDuration(t.reauth_within)}`, t.confirm && 'confirm'];
      return [t.name, limits.filter(Boolean).join(', ')];
    });
  }
  return nextCommandWords(config, after.split(' ').filter(Boolean));
}

/** The contexts of the kubeconfig file `guard kubeconfig` edits (KUBECONFIG's first file, else ~/.kube/config), each with its user. */
function kubeContexts(deps: Deps): Array<[string, string]> {
  const home = clientGoHome(deps.env);
  const edited = kubeconfigPaths(deps.env, home)[0];
  return readKubeconfig(deps.env, home).contexts.filter((context) => context.file === edited).map((context) => [context.name, context.user ? `user ${context.user}` : '']);
}

/** The next word of every named command whose name starts with `typed` (`db` → `connect`), with a description. */
export function nextCommandWords(config: Config, typed: readonly string[]): Array<[string, string]> {
  const exact = new Map<string, string>();
  const longer = new Map<string, string[]>();
  for (const command of config.commands.values()) {
    const words = command.name.split(' ');
    if (words.length <= typed.length || !typed.every((word, i) => words[i] === word)) continue;
    const next = words[typed.length]!;
    if (words.length === typed.length + 1) exact.set(next, (command.description ?? `runs ${command.run[0] ?? ''}`).replace(/\s+/g, ' ').trim());
    else longer.set(next, [...(longer.get(next) ?? []), command.name]);
  }
  const names = new Set([...exact.keys(), ...longer.keys()]);
  return [...names].map((next) => [next, exact.get(next) ?? longer.get(next)!.join(', ')]);
}
