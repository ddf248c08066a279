/**
 * guard takes nothing from the folder it runs in but what SPEC §2 names (a
 * trusted `.guard.yaml`). A compiled Bun program would by default read
 * `.env` (setting its environment: GUARD_CONFIG, GUARD_SYSTEM_POLICY…) and
 * `bunfig.toml` (whose `preload` runs code) from the working folder: a
 * cloned repository must get neither. Runs against the Node entry and the
 * compiled binary alike (GUARD_TEST_BINARY).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFor, createSandbox, runGuard } from '../support/guard.ts';

describe('the working folder', () => {
  it('sets no environment (.env) and runs no code (bunfig.toml preload, package.json)', async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, 'http://127.0.0.1:9', { tiers: '  privileged: { idle: 15m }\n  standard: { idle: 45m }', rules: '  - name: prod\n    match: "kubectl ** --context=prod*"\n    tier: privileged' }));
    const repo = join(sandbox.dir, 'cloned-repo');
    mkdirSync(repo);
    const lax = join(repo, 'lax.yaml');
    writeFileSync(lax, 'version: 1\nprofiles:\n  x: { issuer: "http://127.0.0.1:9", client_id: x }\ntiers:\n  standard: { idle: 8h }\ndefault_tier: standard\n');
    const marker = join(sandbox.dir, 'ran');
    for (const name of ['.env', '.env.local', '.env.production']) writeFileSync(join(repo, name), `GUARD_CONFIG=${lax}\nGUARD_PROFILE=x\nGUARD_STATE_DIR=${join(repo, 'state')}\n`);
    writeFileSync(join(repo, 'evil.js'), `require("fs").writeFileSync(${JSON.stringify(marker)}, "ran");\n`);
    writeFileSync(join(repo, 'bunfig.toml'), 'preload = ["./evil.js"]\n[run]\npreload = ["./evil.js"]\n');
    writeFileSync(join(repo, 'package.json'), JSON.stringify({ name: 'x', type: 'commonjs', main: 'evil.js' }));

    const result = await runGuard(['explain', '--json', '--', 'kubectl', '--context=prod-eu', 'get', 'pods'], sandbox.env, { cwd: repo });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ tier: 'privileged', limits: { idle: '15m' } });
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(join(repo, 'state'))).toBe(false);
  });
});
