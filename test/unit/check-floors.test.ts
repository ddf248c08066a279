/** scripts/check-floors.mjs (STYLE rule 11) passes on guard's own tree and fails, naming the imports, on a cycle. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, '..', '..', 'scripts', 'check-floors.mjs');
const trees: string[] = [];

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'guard-floors-'));
  trees.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const check = (root?: string) => spawnSync(process.execPath, [script, ...(root ? ['--root', root] : [])], { encoding: 'utf8' });

afterEach(() => {
  for (const root of trees.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('check-floors', () => {
  it("passes on guard's own src/ and prints its floors", () => {
    const result = check();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^floor 0: .*errors\.ts/m);
  });

  it('fails on rooms that import each other, type-only imports included, naming each import', () => {
    const root = tree({
      'a/one.ts': "/**\n * A file that opens with a comment.\n */\nimport type { B } from '../b/two.ts';\nexport type A = B;\n",
      'b/two.ts': "export type B = string;\nexport const load = () => import('../a/three.ts');\n",
      'a/three.ts': 'export const x = 1;\n',
    });
    const result = check(root);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('rooms in a cycle: a, b');
    expect(result.stderr).toContain('a/one.ts:4 -> b/two.ts'); // the file's own line number, comments counted
    expect(result.stderr).toContain('b/two.ts:2 -> a/three.ts');
  });

  it('fails on a circle of files inside one room', () => {
    const root = tree({
      'room/x.ts': "import { y } from './y.ts';\nexport const x = y;\n",
      'room/y.ts': "import type { x } from './x.ts';\nexport const y = 1 as unknown as typeof x;\n",
    });
    const result = check(root);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('files in a circle: room/x.ts, room/y.ts');
  });
});
