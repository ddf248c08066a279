/**
 * guard's own path (src/util/runtime.ts): what shell-init, kubeconfig, init
 * and doctor write for other programs to run. The binary keeps the name it
 * was started by (a symlink on PATH) when that leads to itself.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { invokedAs, launcherPath } from '../../src/util/runtime.ts';

function layout() {
  const dir = mkdtempSync(join(tmpdir(), 'guard-runtime-'));
  const real = join(dir, 'opt', 'guard-0.1.0', 'guard');
  mkdirSync(join(dir, 'opt', 'guard-0.1.0'), { recursive: true });
  writeFileSync(real, '#!/bin/sh\n', { mode: 0o755 });
  for (const bin of ['bin', 'other']) mkdirSync(join(dir, bin));
  symlinkSync(real, join(dir, 'bin', 'guard'));
  writeFileSync(join(dir, 'other', 'guard'), '#!/bin/sh\n', { mode: 0o755 }); // another guard, earlier on PATH
  return { dir, real };
}

describe("guard's own path", () => {
  it('keeps the symlink the binary was found by on PATH, skipping another guard', () => {
    const { dir, real } = layout();
    expect(invokedAs('guard', real, `relative/bin::${join(dir, 'other')}:${join(dir, 'bin')}`)).toBe(join(dir, 'bin', 'guard'));
  });

  it('keeps a path typed with a slash, relative ones made absolute', () => {
    const { dir, real } = layout();
    expect(invokedAs(join(dir, 'bin', 'guard'), real, '')).toBe(join(dir, 'bin', 'guard'));
    expect(invokedAs(relative(process.cwd(), join(dir, 'bin', 'guard')), real, '')).toBe(join(dir, 'bin', 'guard'));
  });

  it('gives nothing when the name leads elsewhere (the caller then uses the real path)', () => {
    const { dir, real } = layout();
    expect(invokedAs('guard', real, join(dir, 'other'))).toBeUndefined();
    expect(invokedAs(join(dir, 'other', 'guard'), real, '')).toBeUndefined();
    expect(invokedAs('guard', real, undefined)).toBeUndefined();
  });

  it('writes only an absolute path that can be run', () => {
    const { dir, real } = layout();
    expect(launcherPath(real)).toBe(real);
    expect(launcherPath('bin/guard')).toBeUndefined();
    expect(launcherPath('/$bunfs/root/guard')).toBeUndefined(); // the binary's argv[1]: inside the executable
    writeFileSync(join(dir, 'plain'), '');
    expect(launcherPath(join(dir, 'plain'))).toBeUndefined();
    expect(launcherPath(undefined)).toBeUndefined();
  });
});
