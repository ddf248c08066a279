/**
 * The generated file that a new shell sources instead of starting Node
 * (`guard shell-init`'s output, kept in the state folder). With one `find`,
 * the rc line (setup/shell-rc.ts) checks that it is the user's own and
 * writable by nobody else, and that none of the paths its first line lists
 * changed since it was written — the config layers, the trust records, the
 * central policy's cache, guard's launcher; then it sources it. The file
 * itself checks, with builtins, the environment that chose those paths,
 * which of them exist, and the project files from the working directory up.
 * Anything changed, missing or new: `guard shell-init` runs as the old rc
 * line ran it, and writes the file anew.
 *
 * Change is read from the ctime (`find -cnewer`), which every write, rename
 * and reinstall moves, also when an older file is moved into place or an
 * installer keeps mtimes; and the file's own mtime is set to a moment before
 * guard read anything, so an edit made while it was being written makes it
 * stale at once.
 */
import { lstatSync, readlinkSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { writeFileAtomic } from '../files/atomic-write.ts';
import { ensurePrivateDir } from '../files/private-file.ts';
import { shellStateDir } from './last-aliases.ts';
import type { ShellName } from './shells.ts';

/** What a generated file must check before it defines anything. */
export interface Freshness {
  /** Environment variables that chose the paths below, with the values they had (unset = empty, as guard reads them). */
  env: Array<[name: string, value: string]>;
  /** Files and folders that must exist (true) or must not (false), as when it was written. */
  exists: Array<[path: string, exists: boolean]>;
  /** The existing ones among them, whose change since it was written makes it stale (the rc line checks them, from the file's first line). */
  watch: string[];
  /** Every `.guard.yaml` from the physical working directory up, nearest first. */
  projectFiles: string[];
}

/** The variables whose values decide where guard reads its layers and keeps its state (system-deps.ts, util/paths.ts). */
export const PATH_ENV = ['HOME', 'XDG_CONFIG_HOME', 'XDG_STATE_HOME', 'GUARD_CONFIG', 'GUARD_STATE_DIR', 'GUARD_SYSTEM_POLICY'] as const;

/** How guard slows a regenerated file's clock: an edit this close before the read still counts as after it (file systems stamp times coarsely). */
const SLACK_MS = 50;

/**
 * The generated file's first line: a comment that the rc line reads with
 * `IFS=: read` (fish: `read -d :`) into the words after the comment, the
 * paths `find -cnewer` checks.
 */
export function watchLine(fresh: Pick<Freshness, 'watch'>): string {
  return ['# guard shell-init watches', ...fresh.watch].join(':');
}

/**
 * Whether the rc line can read the watch list back as written: no path may
 * hold a `:` (the separator) or a line break, nor a ` -` (the rc line refuses
 * anything that could pass for an option of find), nor end in the generated
 * file's own name (the rc line tells it apart by name). Else no file is
 * kept, and each new shell runs guard.
 */
export function canWatch(fresh: Pick<Freshness, 'watch'>, shell: ShellName): boolean {
  return fresh.watch.every((path) => isAbsolute(path) && !/[:\n]| -/.test(path) && basename(path) !== `init.${shell}`);
}

export function initCacheFile(stateDir: string, shell: ShellName): string {
  return join(shellStateDir(stateDir), `init.${shell}`);
}

/**
 * Files and folders as `Freshness` wants them: each with whether it exists;
 * watched, each existing one's every symlink on the way (a re-pointed link is
 * a new link, with a new ctime) and the file it resolves to (whose ctime an
 * edit moves), so a config kept in a dotfiles folder behind a link is watched
 * as well as a plain one.
 */
export function describeInputs(paths: readonly string[]): Pick<Freshness, 'exists' | 'watch'> {
  const unique = [...new Set(paths)];
  const exists = unique.map((path): [string, boolean] => [path, statSync(path, { throwIfNoEntry: false }) !== undefined]);
  return { exists, watch: [...new Set(exists.filter(([, there]) => there).flatMap(([path]) => resolution(path)))] };
}

/** The symlinks met while resolving an absolute path, in any component and through their targets, then the path it resolves to. */
export function resolution(path: string): string[] {
  const links: string[] = [];
  let pending = path.split('/').filter(Boolean);
  let current = '/';
  for (let hops = 0; pending.length > 0 && hops <= 40; ) {
    const next = join(current, pending.shift()!);
    if (!lstatSync(next, { throwIfNoEntry: false })?.isSymbolicLink()) {
      current = next;
      continue;
    }
    hops++;
    links.push(next);
    const target = readlinkSync(next);
    if (isAbsolute(target)) current = '/';
    pending = [...target.split('/').filter(Boolean), ...pending];
  }
  return [...links, current];
}

/**
 * Writes the generated file (mode 0600, atomically) and sets its mtime to
 * `readSince` less a margin: the moment before guard read its inputs.
 * Best effort: without it every new shell runs guard, as before.
 */
export function writeInitCache(file: string, content: string, readSince: number): void {
  try {
    ensurePrivateDir(dirname(file));
    writeFileAtomic(file, content, { durable: false });
    const stamp = (readSince - SLACK_MS) / 1000;
    utimesSync(file, stamp, stamp);
  } catch {
    // the rc line falls back to guard shell-init
  }
}

/** Removes a generated file that must not be used (the configuration is invalid). */
export function dropInitCache(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // not there
  }
}
