/**
 * V8's code cache for the core (src/load-core.ts): written only after a run
 * on the hot path, only as a private file in the private cache folder, and
 * never trusted when it is not one (another user's, loose, a symlink,
 * garbage). Real bin/guard, real IdP and keychain. The Node entry's alone:
 * the compiled binary has no such loader, so `npm run test:binary` leaves
 * this file out.
 */
import { describe, expect, it } from 'vitest';
import { chmodSync, copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { startIdp } from '../support/idp.ts';
import { configFor, createSandbox, login, runGuard, type Sandbox } from '../support/guard.ts';
import { useServer } from '../support/use-server.ts';
import { escapeControl } from '../../src/util/text.ts';

const idp = useServer(() => startIdp());

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CORE_FILE = join(ROOT, 'dist', 'core.cjs');
const cacheDir = (sandbox: Sandbox) => join(sandbox.stateDir, 'cache');
const codeCaches = (sandbox: Sandbox) => (existsSync(cacheDir(sandbox)) ? readdirSync(cacheDir(sandbox)).filter((name) => /^core-.*\.v8$/.test(name)) : []);

async function signedIn(): Promise<Sandbox> {
  const sandbox = createSandbox();
  sandbox.writeConfig(configFor(sandbox, idp.issuer));
  expect((await login(sandbox)).code).toBe(0);
  return sandbox;
}

/**
 * What an attacker would plant: V8's cache of a script exactly as long as
 * dist/core.cjs that, run in its place, leaves `marker` and exits 42.
 */
function plantedCache(marker: string): Buffer {
  const length = readFileSync(CORE_FILE, 'utf8').length;
  const code = `(function (exports, require) { require("fs").writeFileSync(${JSON.stringify(marker)}, "ran"); process.exit(42); })`;
  const script = new Script(`${code}/*${' '.repeat(length - code.length - 4)}*/`, { filename: CORE_FILE });
  return script.createCachedData();
}

/** A run on the hot path that must work whatever the cache holds. */
async function runTrue(sandbox: Sandbox): Promise<void> {
  const result = await runGuard(['run', '--', 'true'], sandbox.env);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

describe('the core code cache', () => {
  it('is written by a hot-path run only, 0600, and then used as it is', async () => {
    const sandbox = await signedIn();
    expect((await runGuard(['status'], sandbox.env)).code).toBe(0);
    expect(codeCaches(sandbox)).toEqual([]); // login and status are not the hot path

    await runTrue(sandbox);
    const [name] = codeCaches(sandbox);
    expect(name).toBeDefined();
    const path = join(cacheDir(sandbox), name!);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(path).size).toBeGreaterThan(10_000);
    const written = statSync(path).mtimeMs;

    await runTrue(sandbox);
    expect(codeCaches(sandbox)).toEqual([name]);
    expect(statSync(path).mtimeMs).toBe(written); // accepted, not written again
    await runGuard(['logout'], sandbox.env);
  });

  it('ignores a cache that others can write, that is garbage, or that is a symlink, and writes its own', async () => {
    const sandbox = await signedIn();
    await runTrue(sandbox);
    const [name] = codeCaches(sandbox);
    const path = join(cacheDir(sandbox), name!);

    // Garbage with the right name and mode: V8 rejects it, the core compiles as usual, a good cache replaces it.
    writeFileSync(path, Buffer.alloc(4096, 7), { mode: 0o600 });
    await runTrue(sandbox);
    expect(readFileSync(path).equals(Buffer.alloc(4096, 7))).toBe(false);
    expect(statSync(path).size).toBeGreaterThan(10_000);

    // Writable by others: not read at all (mode checked on the open file), replaced by a private one.
    chmodSync(path, 0o666);
    await runTrue(sandbox);
    expect(statSync(path).mode & 0o777).toBe(0o600);

    // A symlink planted at the cache's name is not followed, and what it points at is not touched.
    const target = join(sandbox.dir, 'planted.v8');
    renameSync(path, target);
    chmodSync(target, 0o600);
    const planted = readFileSync(target);
    symlinkSync(target, path);
    await runTrue(sandbox);
    expect(lstatSync(path).isSymbolicLink()).toBe(false);
    expect(readFileSync(target).equals(planted)).toBe(true);
    await runGuard(['logout'], sandbox.env);
  });

  it('is not read through a symlinked cache folder or a hard link, where another user could have planted it', async () => {
    const sandbox = await signedIn();
    await runTrue(sandbox);
    const [name] = codeCaches(sandbox);

    // The cache folder as a symlink to another folder holding a planted cache (V8 checks only the source's
    // length, so code of the same length runs instead of the core): neither read nor written.
    const elsewhere = join(sandbox.dir, 'elsewhere');
    mkdirSync(elsewhere, { mode: 0o700 });
    const marker = join(sandbox.dir, 'planted-code-ran');
    writeFileSync(join(elsewhere, name!), plantedCache(marker), { mode: 0o600 });
    writeFileSync(join(elsewhere, 'keep.txt'), 'not guard\'s');
    rmSync(cacheDir(sandbox), { recursive: true });
    symlinkSync(elsewhere, cacheDir(sandbox));
    const before = statSync(join(elsewhere, name!)).mtimeMs;
    await runTrue(sandbox);
    expect(existsSync(marker)).toBe(false);
    expect(statSync(join(elsewhere, name!)).mtimeMs).toBe(before);
    expect(readdirSync(elsewhere).filter((entry) => entry.startsWith('core-'))).toEqual([name]); // no code cache pruned or added there
    expect(readFileSync(join(elsewhere, 'keep.txt'), 'utf8')).toBe("not guard's");

    // A second name for the cache file (a hard link keeps the target's owner and mode): not used, replaced by its own.
    unlinkSync(cacheDir(sandbox));
    mkdirSync(cacheDir(sandbox), { mode: 0o700 });
    copyFileSync(join(elsewhere, name!), join(sandbox.dir, 'target.v8'));
    linkSync(join(sandbox.dir, 'target.v8'), join(cacheDir(sandbox), name!));
    await runTrue(sandbox);
    expect(existsSync(marker)).toBe(false);
    expect(statSync(join(cacheDir(sandbox), name!)).nlink).toBe(1);
    expect(statSync(join(sandbox.dir, 'target.v8')).nlink).toBe(1);
    await runGuard(['logout'], sandbox.env);
  });

  it('is kept only in a private cache folder, and one from another build of the core is removed', async () => {
    const sandbox = await signedIn();
    await runTrue(sandbox);
    const [name] = codeCaches(sandbox);
    const stale = join(cacheDir(sandbox), 'core-0000000000000000.v8');
    writeFileSync(stale, 'from another build', { mode: 0o600 });
    writeFileSync(join(cacheDir(sandbox), 'core-0000000000000000.v8.left-1.tmp'), 'a write cut short', { mode: 0o600 });
    mkdirSync(join(cacheDir(sandbox), 'core-1111111111111111.v8')); // not a file: left alone, and no reason to give up
    unlinkSync(join(cacheDir(sandbox), name!));
    await runTrue(sandbox);
    expect(codeCaches(sandbox).sort()).toEqual(['core-1111111111111111.v8', name].sort());
    expect(readdirSync(cacheDir(sandbox)).filter((entry) => entry.endsWith('.tmp'))).toEqual([]);
    rmSync(join(cacheDir(sandbox), 'core-1111111111111111.v8'), { recursive: true });

    // A cache folder others can write: no cache is written into it.
    unlinkSync(join(cacheDir(sandbox), name!));
    chmodSync(cacheDir(sandbox), 0o777);
    await runTrue(sandbox);
    expect(codeCaches(sandbox)).toEqual([]);
    chmodSync(cacheDir(sandbox), 0o700);
    await runGuard(['logout'], sandbox.env);
  });
});

describe('the loader', () => {
  it('says in one line, exit 70, when the core cannot be loaded (a broken install), its path escaped', async () => {
    const sandbox = createSandbox();
    const copy = join(sandbox.dir, 'install\u001b]0;owned\u0007');
    for (const dir of ['bin', 'dist']) mkdirSync(join(copy, dir), { recursive: true });
    for (const file of ['bin/guard', 'bin/package.json', 'dist/guard.cjs', 'package.json']) copyFileSync(join(ROOT, file), join(copy, file));
    chmodSync(join(copy, 'bin/guard'), 0o755);
    const result = spawnSync(join(copy, 'bin/guard'), ['--version'], { env: sandbox.env, encoding: 'utf8' });
    expect(result.status).toBe(70);
    expect(result.stderr).toBe(`guard: cannot load ${escapeControl(join(copy, 'dist', 'core.cjs'))} (ENOENT); reinstall guard (npm ci)\n`);
    expect(result.stderr).not.toMatch(/[\u0007\u001b]/);
  });
});
