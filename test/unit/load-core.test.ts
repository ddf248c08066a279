/**
 * Where the core's V8 code cache may live (src/load-core.ts): V8 runs a code
 * cache as code, so only a folder of this user's, with nothing above it that
 * another user could write (ssh's StrictModes), is ever read or written.
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeCacheName, isSafeCodeDir, safeAncestors } from '../../src/load-core.ts';

function tree(): string {
  const root = mkdtempSync(join(tmpdir(), 'guard-codedir-')); // 0700, this user's, in sticky /tmp
  mkdirSync(join(root, 'state', 'cache'), { recursive: true, mode: 0o700 });
  return root;
}

describe('isSafeCodeDir', () => {
  it('accepts a private folder under private folders and a sticky /tmp', () => {
    expect(isSafeCodeDir(join(tree(), 'state', 'cache'))).toBe(true);
  });

  it('refuses a cache folder with group or other bits, a symlink to a good one, or a missing one', () => {
    const root = tree();
    const cache = join(root, 'state', 'cache');
    chmodSync(cache, 0o750);
    expect(isSafeCodeDir(cache)).toBe(false);
    chmodSync(cache, 0o700);
    symlinkSync(cache, join(root, 'link'));
    expect(isSafeCodeDir(join(root, 'link'))).toBe(false);
    expect(isSafeCodeDir(join(root, 'nothing'))).toBe(false);
  });

  it('refuses when a folder above can be written by others and is not sticky', () => {
    const root = tree();
    const cache = join(root, 'state', 'cache');
    chmodSync(join(root, 'state'), 0o777);
    expect(isSafeCodeDir(cache)).toBe(false);
    chmodSync(join(root, 'state'), 0o1777); // sticky, like /tmp: others cannot rename what is ours
    expect(isSafeCodeDir(cache)).toBe(true);
  });

  it('refuses a folder above, or the cache folder itself, that belongs to another user (not root), as root or as anyone', () => {
    const root = tree();
    const state = join(root, 'state');
    const cache = join(state, 'cache');
    chmodSync(state, 0o755);
    const me = process.getuid!();
    expect(safeAncestors(state, me)).toBe(true);
    expect(isSafeCodeDir(cache, me)).toBe(true);
    if (me === 0) {
      // Root gives the folders to another user and judges for itself.
      chownSync(cache, 1001, 1001);
      expect(isSafeCodeDir(cache)).toBe(false); // the cache folder itself is not ours
      chownSync(cache, 0, 0);
      chownSync(state, 1001, 1001);
      expect(safeAncestors(state, 0)).toBe(false);
      expect(isSafeCodeDir(cache)).toBe(false);
    } else {
      // Another user cannot give folders away: the same folders are judged for a user who does not own them.
      expect(safeAncestors(state, me + 1)).toBe(false);
      expect(isSafeCodeDir(cache, me + 1)).toBe(false);
    }
  });

  it('judges the real path, so a symlinked state folder is judged where it points', () => {
    const root = tree();
    const open = join(root, 'open');
    mkdirSync(join(open, 'cache'), { recursive: true, mode: 0o700 });
    chmodSync(open, 0o777);
    symlinkSync(open, join(root, 'state-link'));
    expect(isSafeCodeDir(join(root, 'state-link', 'cache'))).toBe(false);
  });
});

describe('codeCacheName', () => {
  const info = { size: 93_000, mtimeMs: 1_000, ino: 42 };
  it('changes with the core content hash, even when the file keeps its size, time and inode', () => {
    expect(codeCacheName('/x/core.cjs', 'aaaa', info)).not.toBe(codeCacheName('/x/core.cjs', 'bbbb', info));
  });
  it("changes with Node's options and the file's identity, and is a name guard would prune", () => {
    const base = codeCacheName('/x/core.cjs', 'aaaa', info, {});
    expect(codeCacheName('/x/core.cjs', 'aaaa', info, { NODE_OPTIONS: '--max-old-space-size=64' })).not.toBe(base);
    expect(codeCacheName('/x/core.cjs', 'aaaa', { ...info, ino: 43 }, {})).not.toBe(base);
    expect(base).toMatch(/^core-[0-9a-f]{16}\.v8$/);
  });
});
