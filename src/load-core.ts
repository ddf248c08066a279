/**
 * Loads dist/core.cjs through V8's code cache. Compiling the core is ~3 ms of
 * a valid session's start-up, and Node 20 has no `module.enableCompileCache`
 * (docs/performance.md).
 *
 * V8 trusts a code cache as it trusts code (it checks only the source's
 * length, its own version and flags), so the cache lives in guard's private
 * cache folder (`$GUARD_STATE_DIR/cache`), never in a shared temp folder, and
 * is used only when that folder and every folder above it are safe (ssh's
 * StrictModes: this user's, or root's; nobody else can write them unless
 * they are sticky, like /tmp) and the file is a regular file of this user,
 * with one link, that nobody else can write. Its name covers Node's version
 * and flags, the core's content hash from the build and the core file's
 * identity. A missing, foreign or rejected cache means the core is compiled
 * as usual, and the cache is written at the exit of the next run that took
 * the hot path (src/util/hot-path.ts), with every function that run
 * compiled. Anything wrong with the cache only costs the cache. The same
 * loader serves Node 22 and 24; their `module.enableCompileCache` is not used:
 * by default it writes to the shared temp folder, and in the state folder its
 * files would not keep SPEC §8's modes.
 *
 * Bundled into the start of dist/guard.cjs by scripts/build.mjs.
 */
import { lstatSync, readdirSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { readPrivateBytes } from './files/private-file.ts';
import { fingerprint, uniqueSuffix } from './util/builtins.ts';

/** The names guard gives its caches and their temp files; nothing else in the folder is ever removed. */
const CACHE_NAME = /^core-[0-9a-f]{16}\.v8$/;
const TEMP_NAME = /^core-[0-9a-f]{16}\.v8\.[a-z0-9-]+\.tmp$/;

/**
 * A folder guard may keep code in: this user's (`uid`: this process's), not
 * a symlink, no group or other bits; and above it (its real path), only
 * folders of this user's or root's that nobody else can write, unless sticky.
 */
export function isSafeCodeDir(path: string, uid: number | undefined = process.getuid?.()): boolean {
  if (uid === undefined) return false; // no owners to check (Windows): no cache
  try {
    const own = lstatSync(path);
    if (!own.isDirectory() || own.uid !== uid || own.mode & 0o077) return false;
    return safeAncestors(dirname(realpathSync.native(path)), uid);
  } catch {
    return false;
  }
}

/** `dir` and every folder above it belong to `uid` or root, and nobody else can write them unless sticky (ssh's StrictModes). */
export function safeAncestors(dir: string, uid: number): boolean {
  try {
    for (; ; dir = dirname(dir)) {
      const info = lstatSync(dir);
      if (info.uid !== uid && info.uid !== 0) return false;
      if (info.mode & 0o022 && !(info.mode & 0o1000)) return false;
      if (dirname(dir) === dir) return true;
    }
  } catch {
    return false;
  }
}

/** What makes a code cache valid: this Node and its flags, and this exact core (its content and its file). */
export function codeCacheName(file: string, coreHash: string, info: Pick<Stats, 'size' | 'mtimeMs' | 'ino'>, env: NodeJS.ProcessEnv = process.env): string {
  const node = [process.version, process.arch, process.execArgv.join(' '), env.NODE_OPTIONS ?? ''];
  return `core-${fingerprint([...node, coreHash, file, info.size, info.mtimeMs, info.ino].join('\0'))}.v8`;
}

/** Reads a cache only a safe folder holds, of one link (a hard link keeps another file's owner and mode). */
function readCodeCache(dir: string, name: string): Buffer | undefined {
  if (!isSafeCodeDir(dir)) return undefined;
  const file = readPrivateBytes(join(dir, name), { singleLink: true });
  return 'bytes' in file ? file.bytes : undefined;
}

function writeCodeCache(dir: string, name: string, script: Script): void {
  let data: Buffer;
  try {
    data = script.createCachedData();
  } catch {
    return;
  }
  // Checked now, after the slow part: the folder must still be safe when the names are touched.
  if (!isSafeCodeDir(dir)) return;
  const temp = join(dir, `${name}.${uniqueSuffix()}.tmp`);
  try {
    for (const old of readdirSync(dir)) {
      if (old === name || !(CACHE_NAME.test(old) || TEMP_NAME.test(old))) continue;
      try {
        unlinkSync(join(dir, old));
      } catch {
        // another guard removed it, or it is not a file: leave it
      }
    }
    writeFileSync(temp, data, { mode: 0o600, flag: 'wx' });
    renameSync(temp, join(dir, name));
  } catch {
    // A cache only saves time; a half-written one must not take the disk's last bytes.
    try {
      unlinkSync(temp);
    } catch {
      // not written
    }
  }
}

/** The core's `import()`: from this module, which Node compiled itself (dist/guard.cjs). */
const lazyImport = (specifier: string): Promise<unknown> => import(specifier);

/**
 * The core's exports, as `require(file)` would give them, with the same
 * module registered for later imports. `load` is the entry's own require
 * (the core sits beside it, so it resolves the same); `file` is a real path
 * (the entry's own folder, which Node has resolved); `cacheDir` says where
 * the cache lives, and may throw (no home folder): then there is no cache.
 */
export function loadCore(load: NodeJS.Require, file: string, coreHash: string, cacheDir: () => string): unknown {
  // The class itself, not a default import (a bundler would copy every property of it).
  const Module = load('node:module') as typeof import('node:module');
  let dir: string | undefined;
  try {
    dir = cacheDir();
  } catch {
    dir = undefined;
  }

  // By path (Node's one-call read), then its identity: a file replaced in between names the cache
  // after the new file, and the content hash (from the entry built with it) tells the builds apart.
  const source = readFileSync(file, 'utf8');
  const name = codeCacheName(file, coreHash, statSync(file));
  const cachedData = dir === undefined ? undefined : readCodeCache(dir, name);
  // The file is one expression whose value, outside a CommonJS module, is the module's function (scripts/build.mjs),
  // with one more parameter: code compiled by vm cannot import() on Node 20 once it comes from a code cache,
  // so the core's lazy imports (`__guardLazy`) go through this module's.
  const script = new Script(source, { filename: file, cachedData });

  // Registered before it runs, like require does: the lazy parts' `#guard-core` imports find this same instance.
  const module = new Module(file);
  module.filename = file;
  load.cache[file] = module;
  try {
    (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, load, module, file, dirname(file), lazyImport);
  } catch (error) {
    delete load.cache[file];
    throw error;
  }
  module.loaded = true;
  if (dir !== undefined && (!cachedData || script.cachedDataRejected)) {
    const core = module.exports as { ranHotPath?: () => boolean };
    const cacheHome = dir;
    process.once('exit', () => {
      if (core.ranHotPath?.()) writeCodeCache(cacheHome, name, script);
    });
  }
  return module.exports;
}
