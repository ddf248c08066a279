/**
 * SPEC §13 "Project layers": what a trusted `.guard.yaml` may and may not
 * do, trust keyed by the path guard found (never a symlink's target), and
 * relative programs beside the file. Real bin/guard; the misbehaving IdP of
 * the tests' own signs in at once where a session is needed.
 */
import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFor, createSandbox, runGuard, type Sandbox } from '../support/guard.ts';
import { startFakeIdp } from '../support/fake-idp.ts';
import { errorLine } from '../support/session-snapshot.ts';
import { useServer } from '../support/use-server.ts';

const fake = useServer(() => startFakeIdp());

const TIERS = ['  standard: { idle: 45m, max_session: 12h }', '  privileged: { idle: 15m, max_session: 8h }'].join('\n');

function sandboxWith(options: Parameters<typeof configFor>[2] = {}): Sandbox {
  const sandbox = createSandbox();
  sandbox.writeConfig(configFor(sandbox, fake.issuer, { tiers: TIERS, ...options }));
  return sandbox;
}

/** A folder under the sandbox with a .guard.yaml (and optional other files). */
function project(sandbox: Sandbox, path: string, yaml: string, files: Record<string, string> = {}): string {
  const dir = join(sandbox.dir, path);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '.guard.yaml'), yaml);
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

const explainTier = async (sandbox: Sandbox, cwd: string, args: string[]) => {
  const result = await runGuard(['explain', '--json', '--', ...args], sandbox.env, { cwd });
  expect(result.code, result.stderr).toBe(0);
  return { tier: (JSON.parse(result.stdout) as { tier: string }).tier, stderr: result.stderr };
};

describe('project layers may not route authentication', () => {
  it.each([
    ['profiles', 'version: 1\nprofiles:\n  corp-sso: { issuer: "https://evil.example", client_id: x }\n', 2, /profiles may not be set in a project \.guard\.yaml/],
    ['default_profile', 'version: 1\ndefault_profile: corp-sso\n', 2, /default_profile may not be set in a project/],
    ['profile: on a rule', 'version: 1\nrules:\n  - match: "kubectl **"\n    tier: privileged\n    profile: corp-sso\n', 5, /rules\[0\]\.profile may not be set in a project/],
    ['profile: on a command', 'version: 1\ncommands:\n  ship:\n    run: [echo]\n    profile: corp-sso\n', 5, /commands\.ship\.profile may not be set in a project/],
  ])('%s → 78 with file:line, from trust and config check', async (_what, yaml, line, message) => {
    const sandbox = sandboxWith();
    const dir = project(sandbox, 'repo', yaml);
    const file = join(dir, '.guard.yaml');
    const trusted = await runGuard(['trust'], sandbox.env, { cwd: dir });
    expect(trusted.code, trusted.stderr).toBe(78);
    expect(errorLine(trusted.stderr)).toContain(`${file}:${line}:`);
    expect(errorLine(trusted.stderr)).toMatch(message);
    const checked = await runGuard(['config', 'check', file], sandbox.env, { cwd: dir });
    expect(checked.code, checked.stderr).toBe(78);
    expect(checked.stderr).toMatch(new RegExp(`${file.replace(/[.]/g, '\\.')}:${line}:\\d+: .*may not be set in a project`));
  });

  it('a project command may not shadow (or extend) the user\'s named command', async () => {
    const userCommand = { commands: '  deploy:\n    run: [echo, "{args}"]\n    when: { "deploy prod **": privileged }' };
    const sandbox = sandboxWith(userCommand);
    const dir = project(sandbox, 'repo', 'version: 1\ncommands:\n  deploy prod:\n    run: [echo, sneaky]\n    tier: standard\n');
    const shadow = new RegExp(`${join(dir, '.guard.yaml').replace(/[.]/g, '\\.')}:3:\\d+: command "deploy prod" would shadow "deploy"`);
    // guard trust refuses it…
    const trusted = await runGuard(['trust'], sandbox.env, { cwd: dir });
    expect(trusted.code, trusted.stderr).toBe(78);
    expect(errorLine(trusted.stderr)).toMatch(shadow);
    // …and a file trusted before the user's command existed stops every command until it is fixed.
    sandbox.writeConfig(configFor(sandbox, fake.issuer, { tiers: TIERS }));
    expect((await runGuard(['trust'], sandbox.env, { cwd: dir })).code).toBe(0);
    sandbox.writeConfig(configFor(sandbox, fake.issuer, { tiers: TIERS, ...userCommand }));
    const result = await runGuard(['explain', '--', 'deploy', 'prod'], sandbox.env, { cwd: dir });
    expect(result.code, result.stderr).toBe(78);
    expect(errorLine(result.stderr)).toMatch(shadow);
  });

  it('an untrusted nearer .guard.yaml does not hide a trusted one farther up', async () => {
    const sandbox = sandboxWith();
    const parent = project(sandbox, 'mono', 'version: 1\nrules:\n  - { match: "make deploy", tier: privileged }\n');
    expect((await runGuard(['trust'], sandbox.env, { cwd: parent })).code).toBe(0);
    const child = project(sandbox, 'mono/pkg', 'version: 1\n');
    const { tier, stderr } = await explainTier(sandbox, child, ['make', 'deploy']);
    expect(tier).toBe('privileged');
    expect(stderr).toContain(`ignoring ${join(child, '.guard.yaml')}: it is not trusted`);
  });
});

describe('trust is the path guard found, programs are beside the file', () => {
  const GOOD = 'version: 1\ncommands:\n  build:\n    run: ["./build.sh"]\n    env: { BUILD_TOKEN: "{access_token}" }\nrules:\n  - { match: "make deploy", tier: privileged }\n';

  it('a symlink to a trusted file is not trusted', async () => {
    const sandbox = sandboxWith();
    const good = project(sandbox, 'good', GOOD, { 'build.sh': '#!/bin/sh\nexit 0\n' });
    expect((await runGuard(['trust'], sandbox.env, { cwd: good })).code).toBe(0);
    const evil = join(sandbox.dir, 'evil');
    mkdirSync(evil);
    symlinkSync('../good/.guard.yaml', join(evil, '.guard.yaml'));
    writeFileSync(join(evil, 'build.sh'), `#!/bin/sh\necho "$BUILD_TOKEN" > ${join(sandbox.dir, 'stolen')}\n`);
    chmodSync(join(evil, 'build.sh'), 0o755);
    const result = await runGuard(['build'], sandbox.env, { cwd: evil });
    expect(result.code, result.stderr).toBe(78);
    expect(errorLine(result.stderr)).toMatch(/is not trusted; review it, then run: guard trust/);
    expect(existsSync(join(sandbox.dir, 'stolen'))).toBe(false);
    expect((await explainTier(sandbox, evil, ['make', 'deploy'])).tier).toBe('standard');
  });

  it('a relative run program is the one beside the file, not in the working directory', async () => {
    const sandbox = sandboxWith();
    const marker = join(sandbox.dir, 'which');
    const good = project(sandbox, 'good', GOOD, { 'build.sh': `#!/bin/sh\necho good > ${marker}\n` });
    expect((await runGuard(['trust'], sandbox.env, { cwd: good })).code).toBe(0);
    const sub = join(good, 'sub');
    mkdirSync(sub);
    writeFileSync(join(sub, 'build.sh'), `#!/bin/sh\necho "cwd $BUILD_TOKEN" > ${marker}\n`);
    chmodSync(join(sub, 'build.sh'), 0o755);
    expect((await runGuard(['login'], sandbox.env)).code).toBe(0);
    const result = await runGuard(['build'], sandbox.env, { cwd: sub });
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(marker, 'utf8')).toBe('good\n');
  });

  it('guard trust shows the commands, programs, rules, tiers and token injections before recording', async () => {
    const sandbox = sandboxWith();
    const good = project(
      sandbox,
      'good',
      `${GOOD}  - { match: "curl **", tier: standard, env: { AUTH: "{id_token}" } }\ntiers:\n  careful: { idle: 5m, confirm: true }\n`,
    );
    const result = await runGuard(['trust'], sandbox.env, { cwd: good });
    expect(result.code, result.stderr).toBe(0);
    const out = result.stderr;
    expect(out).toContain(`add command  guard build → runs "${join(good, 'build.sh')}"`);
    expect(out).toContain('add rule     "make deploy" → tier privileged');
    expect(out).toContain('add rule     "curl **" → tier standard');
    expect(out).toContain('add tier     careful: idle 5m, confirm');
    expect(out).toContain('inject token BUILD_TOKEN={access_token} into guard build');
    expect(out).toContain('inject token AUTH={id_token} into every command matching "curl **"');
    expect(out.indexOf('inject token')).toBeLessThan(out.indexOf('guard: trusted'));
  });
});
