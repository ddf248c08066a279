/**
 * Loads dist/core.cjs through V8's code cache. Compiling the core is ~3 ms of
 * a valid session's start-up, and Node 20 has no `module.enableCompileCache`
 * (README, Performance). The cache lives in guard's private cache folder
 * (`$GUARD_STATE_DIR/cache`), never in a shared temp folder: V8 trusts a code
 * cache like code, so only a regular file of this user's that nobody else
 * can write is used. It is keyed by Node's version and flags and by the core
 * file's identity; a missing, foreign or rejected cache means the core is
 * compiled as usual, and the cache is written at the exit of the next run
 * that took the hot path (src/util/hot-path.ts), with every function that
 * run compiled. Lazily loaded parts get Node's own compile
 * cache where Node has one (≥ 22.1), in the same private folder.
 *
 * Built into dist/core-loader.cjs; the entry requires it in place of the core.
 */
import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { readPrivateBytes } from './files/private-file.ts';
import { fingerprint, uniqueSuffix } from './util/builtins.ts';

const PREFIX = 'core-';

/** This user's folder that no one else can write, and not a symlink: only there is a cache read or written. */
function isPrivateDir(path: string): boolean {
  try {
    const info = lstatSync(path);
    return info.isDirectory() && !(info.mode & 0o022) && (typeof process.getuid !== 'function' || info.uid === process.getuid());
  } catch {
    return false;
  }
}

/** What makes a code cache valid: this Node and its flags, and this exact core file. */
export function codeCacheName(file: string, info: Pick<Stats, 'size' | 'mtimeMs' | 'ino'>, env: NodeJS.ProcessEnv = process.env): string {
  const node = [process.version, process.arch, process.execArgv.join(' '), env.NODE_OPTIONS ?? ''];
  return `${PREFIX}${fingerprint([...node, file, info.size, info.mtimeMs, info.ino].join('\0'))}.v8`;
}

function writeCodeCache(dir: string, name: string, script: Script): void {
  if (!isPrivateDir(dir)) return;
  try {
    const data = script.createCachedData();
    for (const old of readdirSync(dir)) if (old.startsWith(PREFIX) && old !== name) unlinkSync(join(dir, old));
    const temp = join(dir, `${name}.${uniqueSuffix()}.tmp`);
    writeFileSync(temp, data, { mode: 0o600, flag: 'wx' });
    renameSync(temp, join(dir, name));
  } catch {
    // A cache only saves time.
  }
}

/** The core's `import()`: from this module, which Node compiled itself (dist/core-loader.cjs). */
const lazyImport = (specifier: string): Promise<unknown> => import(specifier);

/**
 * The core's exports, as `require(file)` would give them, with the same
 * module registered for later imports. `file` is a real path (the entry's
 * own folder, which Node has resolved).
 */
export function loadCore(file: string, cacheDir: string): unknown {
  const load = createRequire(file);
  // The class itself, not a default import (a bundler would copy every property of it).
  const Module = load('node:module') as typeof import('node:module') & { enableCompileCache?: (dir: string) => unknown };
  if (Module.enableCompileCache && isPrivateDir(cacheDir)) Module.enableCompileCache(join(cacheDir, 'node')); // Node ≥ 22.1

  const fd = openSync(file, 'r');
  let source: string;
  let info: Stats;
  try {
    info = fstatSync(fd);
    source = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  const name = codeCacheName(file, info);
  const cached = readPrivateBytes(join(cacheDir, name));
  const cachedData = 'bytes' in cached ? cached.bytes : undefined;
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
  if (!cachedData || script.cachedDataRejected) {
    const core = module.exports as { ranHotPath?: () => boolean };
    process.once('exit', () => {
      if (core.ranHotPath?.()) writeCodeCache(cacheDir, name, script);
    });
  }
  return module.exports;
}
