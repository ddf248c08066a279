/**
 * The checked-in kubectl flag table (src/policy/implied/kubectl-flags.ts)
 * against the installed kubectl, so that a kubectl upgrade that adds a
 * command, a flag, a shorthand or changes whether a flag takes a value is
 * caught: the command tree, names and shorthands in full, and whether a
 * flag takes the next word for every flag whose help disagrees with the
 * table plus a sample (SEED printed; SEED=… replays). The full check:
 * node scripts/gen-kubectl-flags.mjs --check.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../scripts/gen-kubectl-flags.mjs', import.meta.url));

describe('kubectl flag table', () => {
  it('matches the installed kubectl', async () => {
    const result = await new Promise<{ code: number; out: string }>((resolve) =>
      execFile('node', [SCRIPT, '--check', '--sample', '30'], { timeout: 120_000 }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, out: `${stdout}${stderr}` })),
    );
    console.log(result.out.trim());
    expect(result.out).toContain('kubectl-flags.ts matches the installed kubectl');
    expect(result.code).toBe(0);
  }, 150_000);
});
