/**
 * `guard shell-init [bash|zsh|fish] [--rc-line|--uninstall]`: prints shell
 * functions that route each configured alias (kubectl, psql, …) through
 * `guard run` (SPEC §1, §8 "Shell functions"), the rc line that loads them,
 * or the commands that remove them. It also writes the functions, with the
 * checks that say when they are stale, to the file the rc line sources
 * (shell/init-cache.ts), so a new shell needs no Node.
 *
 * Shell functions fail closed (SPEC §14): with an invalid configuration it
 * still prints a function for every alias of the last valid configuration it
 * saw (kubectl and psql when it never saw one), with one warning line; each
 * function calls guard, which refuses (78) until the config is fixed and then
 * runs the program again, in the same shell.
 */
import { realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { ETC_POLICY, warn, type Deps } from '../deps.ts';
import { GuardError } from '../errors.ts';
import { chooseShell, isFunctionName, type ShellName } from '../shell/shells.ts';
import { quoteFish, quotePosix } from '../util/shell-quote.ts';
import { launcherPath } from '../util/runtime.ts';
import { renderBashFunctions, renderBashUninstall, renderPosixCached } from '../shell/init-bash.ts';
import { renderZshCached, renderZshFunctions, renderZshUninstall } from '../shell/init-zsh.ts';
import { renderFishCached, renderFishFunctions, renderFishUninstall } from '../shell/init-fish.ts';
import { canWatch, describeInputs, dropInitCache, initCacheFile, PATH_ENV, writeInitCache, type Freshness } from '../shell/init-cache.ts';
import { DEFAULT_ALIASES, lastAliases, rememberAliases } from '../shell/last-aliases.ts';
import { assertValid, findProjectFiles, type LoadedConfig } from '../policy/load.ts';
import { policyDir } from '../policy/central/policy-cache.ts';
import { guardWord, shellInitLine } from '../setup/shell-rc.ts';
import { loadLayers, type GlobalOptions } from './context.ts';

export interface ShellInitOptions extends GlobalOptions {
  uninstall?: boolean;
  rcLine?: boolean;
  /** The file that starts this guard (util/runtime.ts selfPath()), embedded so the functions work whatever PATH says later. */
  self?: string;
}

const USAGE = 'guard shell-init SHELL';

export async function shellInit(deps: Deps, shellArg: string | undefined, options: ShellInitOptions): Promise<number> {
  const shell = chooseShell(shellArg, deps.env, USAGE);
  if (options.rcLine) {
    // fish reads its own quoting (a POSIX $'…' word would be a syntax error there).
    deps.io.out(`${shellInitLine(shell, shell === 'fish' ? guardCommand(shell, options.self) : guardWord(options.self))}\n`);
    return 0;
  }
  if (options.uninstall) {
    // Needs no config: the functions to remove are the ones the shell recorded.
    deps.io.out(`# Removes guard's shell functions (guard shell-init --uninstall ${shell}).\n${UNINSTALL[shell]()}`);
    return 0;
  }
  // The wall clock, not deps.now(): it is compared with the file system's timestamps.
  const readSince = Date.now();
  const cache = initCacheFile(deps.paths.stateDir, shell);
  const guard = guardCommand(shell, options.self);
  let loaded: LoadedConfig;
  let configured: string[];
  try {
    // Runs at every shell start that finds the generated file stale: the cached central policy is enough, never the network.
    loaded = (await loadLayers(deps, options, { network: false })).loaded;
    configured = assertValid(loaded).aliases;
  } catch (error) {
    if (!(error instanceof GuardError) || error.code !== 'config') throw error;
    // Fail closed: the last valid config's aliases still go through guard, which refuses until the config is fixed.
    const aliases = usable(deps, lastAliases(deps.paths.stateDir, deps.paths.userConfig) ?? DEFAULT_ALIASES, false);
    dropInitCache(cache);
    warn(deps, `${error.message} — ${aliases.length > 0 ? `${aliases.join(', ')} refuse (78) until it is fixed` : 'no shell functions'}`);
    deps.io.out(header(shell, aliases, guard) + FUNCTIONS[shell](aliases, guard));
    return 0;
  }
  rememberAliases(deps.paths.stateDir, deps.paths.userConfig, configured);
  const aliases = usable(deps, configured, true);
  const functions = header(shell, aliases, guard) + FUNCTIONS[shell](aliases, guard);
  deps.io.out(functions);
  // Only the rc line's own call (no --config) may stand for what a new shell gets; and only a list the rc line can read back.
  const fresh = freshness(deps, loaded, options.self);
  if (options.config || !canWatch(fresh, shell)) dropInitCache(cache);
  else writeInitCache(cache, CACHED[shell](fresh, functions), readSince);
  return 0;
}

/** The aliases a function can be defined for, with a warning for each other one (once: when the config is valid). */
function usable(deps: Deps, names: readonly string[], say: boolean): string[] {
  const aliases: string[] = [];
  for (const name of new Set(names)) {
    if (!isFunctionName(name)) {
      if (say) warn(deps, `alias "${name}" is not a plain program name; no shell function for it`);
    } else if (name === 'guard') {
      if (say) warn(deps, 'alias "guard" would wrap guard in itself; no shell function for it');
    } else aliases.push(name);
  }
  return aliases;
}

/**
 * What the functions were made from: every layer file guard read or would
 * read (system, user, project), the trust records and the central policy's
 * cache when they mattered, guard itself (its launcher and built files), and
 * the environment that chose those paths.
 */
function freshness(deps: Deps, loaded: LoadedConfig, self: string | undefined): Freshness {
  const projectFiles = findProjectFiles(deps.cwd);
  const paths = [deps.paths.etcPolicy ?? ETC_POLICY, deps.paths.systemPolicy, deps.paths.userConfig, ...loaded.files.filter(isAbsolute), ...projectFiles];
  if (projectFiles.length > 0) paths.push(join(deps.paths.stateDir, 'trust'));
  if (loaded.config.policy) paths.push(policyDir(deps.paths.stateDir));
  if (self && isAbsolute(self)) paths.push(self, ...builtBeside(self));
  return { env: PATH_ENV.map((name) => [name, deps.env[name] ?? '']), projectFiles, ...describeInputs(paths) };
}

/** guard's built files beside its launcher (bin/guard → dist/): every build and every install swaps that folder in anew. */
function builtBeside(self: string): string[] {
  try {
    const dist = join(dirname(dirname(realpathSync(self))), 'dist');
    return statSync(dist, { throwIfNoEntry: false })?.isDirectory() ? [dist] : [];
  } catch {
    return [];
  }
}

const UNINSTALL: Record<ShellName, () => string> = { bash: renderBashUninstall, zsh: renderZshUninstall, fish: renderFishUninstall };
const FUNCTIONS: Record<ShellName, (aliases: readonly string[], guard: string) => string> = {
  bash: renderBashFunctions,
  zsh: renderZshFunctions,
  fish: renderFishFunctions,
};
const CACHED: Record<ShellName, (fresh: Freshness, functions: string) => string> = {
  bash: (fresh, functions) => renderPosixCached('bash', fresh, functions),
  zsh: renderZshCached,
  fish: renderFishCached,
};

function header(shell: ShellName, aliases: readonly string[], guard: string): string {
  const undo = shell === 'fish' ? `${guard} shell-init --uninstall fish | source` : `eval "$(${guard} shell-init --uninstall ${shell})"`;
  const what = aliases.length > 0 ? `Runs ${aliases.join(', ')} through \`guard run\`.` : 'No aliases are configured (add e.g. `aliases: [kubectl, psql]` to the config).';
  return `# guard shell integration for ${shell}, generated by \`guard shell-init ${shell}\`.\n# ${what}\n# Undo: ${undo}\n`;
}

/** How the functions call guard: this guard's own path (launcherPath), so they work even if PATH changes; else `guard` on PATH. */
function guardCommand(shell: ShellName, self: string | undefined): string {
  const path = launcherPath(self);
  if (!path) return 'command guard';
  return shell === 'fish' ? quoteFish(path) : quotePosix(path);
}
