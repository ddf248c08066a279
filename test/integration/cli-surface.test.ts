/**
 * The command line's own promises (SPEC §1, §2, §5): --version, where the
 * user config comes from (--config, GUARD_CONFIG, XDG_CONFIG_HOME), a plain
 * local system-policy file, and usage errors (64) that never run the command
 * even when the session would allow it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startIdp } from '../support/idp.ts';
import { configFor, createSandbox, login, runGuard, type Sandbox } from '../support/guard.ts';
import { lines } from '../support/session-snapshot.ts';
import { useServer } from '../support/use-server.ts';

const idp = useServer(() => startIdp());

const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

async function explain(env: NodeJS.ProcessEnv, args: string[] = []): Promise<Record<string, any>> {
  const result = await runGuard([...args, 'explain', '--json', '--', 'kubectl', 'get', 'pods', '--context=prod-eu'], env);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

describe('--version', () => {
  it('prints the package version alone on stdout and exits 0', async () => {
    const sandbox = createSandbox();
    const result = await runGuard(['--version'], sandbox.env);
    expect(result).toMatchObject({ code: 0, stdout: `${PACKAGE.version}\n`, stderr: '' });
  });
});

describe('where the user config comes from', () => {
  /** Three configs that differ only in the standard tier's idle limit (the marker). */
  function threeConfigs(): { sandbox: Sandbox; flag: string; envFile: string; xdgHome: string } {
    const sandbox = createSandbox();
    const write = (path: string, idle: string) => {
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, configFor(sandbox, idp.issuer, { tiers: `  standard: { idle: ${idle}, max_session: 12h }` }));
    };
    const xdgHome = join(sandbox.dir, 'xdg');
    write(join(xdgHome, 'guard', 'config.yaml'), '33m');
    const envFile = join(sandbox.dir, 'env-config.yaml');
    write(envFile, '22m');
    const flag = join(sandbox.dir, 'flag-config.yaml');
    write(flag, '11m');
    return { sandbox, flag, envFile, xdgHome };
  }

  it('--config FILE wins over GUARD_CONFIG, which wins over $XDG_CONFIG_HOME/guard/config.yaml', async () => {
    const { sandbox, flag, envFile, xdgHome } = threeConfigs();
    const { GUARD_CONFIG: _unused, ...base } = sandbox.env;
    const withXdg = { ...base, XDG_CONFIG_HOME: xdgHome };
    expect((await explain({ ...withXdg, GUARD_CONFIG: envFile }, ['--config', flag])).limits.idle).toBe('11m');
    expect((await explain({ ...withXdg, GUARD_CONFIG: envFile }, [`--config=${flag}`])).limits.idle).toBe('11m');
    expect((await explain({ ...withXdg, GUARD_CONFIG: envFile })).limits.idle).toBe('22m');
    expect((await explain(withXdg)).limits.idle).toBe('33m');
  });

  it('a --config that does not exist is an error (78), never a fall back to another file', async () => {
    const { sandbox, envFile, xdgHome } = threeConfigs();
    const result = await runGuard(['--config', join(sandbox.dir, 'missing.yaml'), 'explain', '--', 'true'], { ...sandbox.env, GUARD_CONFIG: envFile, XDG_CONFIG_HOME: xdgHome });
    expect(result.code).toBe(78);
    expect(lines(result.stderr)).toEqual([expect.stringMatching(/^guard: .*missing\.yaml/)]);
  });
});

describe('a plain local system-policy file (GUARD_SYSTEM_POLICY)', () => {
  it('adds its rules and tiers as the system layer; its limits stay the strictest and the user config cannot remove its rule', async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(
      configFor(sandbox, idp.issuer, {
        tiers: ['  standard: { idle: 45m, max_session: 12h }', '  privileged: { idle: 30m, max_session: 12h }'].join('\n'),
        rules: ['  - name: user-prod', '    match: "kubectl ** --context=prod*"', '    tier: standard'].join('\n'),
      }),
    );
    const system = sandbox.env.GUARD_SYSTEM_POLICY!;
    writeFileSync(
      system,
      [
        'version: 1',
        'tiers:',
        '  privileged: { idle: 10m, max_session: 8h, reauth_within: 5m }',
        'rules:',
        '  - name: org-prod-kube',
        '    match: "kubectl ** --context=prod*"',
        '    tier: privileged',
        '',
      ].join('\n'),
    );
    const result = await explain(sandbox.env);
    expect(result.rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'org-prod-kube', layer: 'system', file: system }),
        expect.objectContaining({ name: 'user-prod', layer: 'user' }),
      ]),
    );
    // privileged: the system layer's 10m beats the user's looser 30m; reauth_within only the system sets.
    expect(result).toMatchObject({ tier: 'privileged', limits: { idle: '10m', max_session: '8h', reauth_within: '5m' } });
    // Without the file, the same command is only the user's standard tier: the file is what made it privileged.
    const { GUARD_SYSTEM_POLICY: _unused, ...withoutSystem } = sandbox.env;
    expect(await explain({ ...withoutSystem, GUARD_SYSTEM_POLICY: join(sandbox.dir, 'absent.yaml') })).toMatchObject({ tier: 'standard', limits: { idle: '45m' } });
  });
});

describe('usage errors', () => {
  let sandbox: Sandbox & { marker: string };
  beforeAll(async () => {
    const base = createSandbox();
    base.writeConfig(configFor(base, idp.issuer));
    sandbox = { ...base, marker: join(base.dir, 'ran') };
    await login(sandbox); // a valid session: only the usage error can stop the command
  });
  afterAll(async () => {
    await runGuard(['logout'], sandbox.env);
  });

  it.each<[string, (marker: string) => string[]]>([
    ['an unknown option of run', (m) => ['run', '--bogus', '--', 'touch', m]],
    ['an unknown global option', (m) => ['--bogus', 'run', '--', 'touch', m]],
    ['--tier without its value', () => ['run', '--tier']],
    ['an unknown tier', (m) => ['run', '--tier', 'nosuch', '--', 'touch', m]],
    ['--profile without its value', (m) => ['run', '--profile', '--', 'touch', m]],
    ['run without a command', () => ['run']],
    ['an unknown command', (m) => ['nosuchcommand', 'touch', m]],
    ['an unknown option of token', () => ['token', '--bogus']],
    ['--json for a command that prints no data, before it', (m) => ['--json', 'run', '--', 'touch', m]],
    ['--json for a command that prints no data, after it', () => ['touch', '--json']],
  ])('%s → 64, one guard: line, the command not run', async (_name, args) => {
    const result = await runGuard(args(sandbox.marker), sandbox.env);
    expect(result.code, result.stderr).toBe(64);
    expect(result.stdout).toBe('');
    expect(lines(result.stderr)).toEqual([expect.stringMatching(/^guard: /)]);
    expect(existsSync(sandbox.marker)).toBe(false);
  });

  it('explain with the command\'s own flags but no --: the line says to put -- before the command', async () => {
    const hint = "(options after the command are the command's own: put -- before it, as in guard explain -- kubectl get pods --context prod)";
    for (const args of [['explain', 'kubectl', 'get', 'pods', '--context', 'prod'], ['explain', '--tier', 'standard', 'kubectl', '--context=prod']]) {
      const result = await runGuard(args, sandbox.env);
      expect(result.code).toBe(64);
      expect(result.stderr).toBe(`guard: unknown option '${args.at(-1) === 'prod' ? '--context' : '--context=prod'}' ${hint}\n`);
    }
    // An unknown option of explain itself, before the command: no such advice.
    expect((await runGuard(['explain', '--bogus', 'kubectl'], sandbox.env)).stderr).toBe("guard: unknown option '--bogus' (see guard --help)\n");
    expect((await runGuard(['explain', '--json', '--', 'kubectl', 'get', 'pods', '--context', 'prod'], sandbox.env)).code).toBe(0);
  });

  it('global options work before or after the command: guard --json status is guard status --json', async () => {
    const after = await runGuard(['status', '--json'], sandbox.env);
    const before = await runGuard(['--json', 'status'], sandbox.env);
    const profileAfter = await runGuard(['status', '--profile', sandbox.profile, '--json'], sandbox.env);
    expect(after.code, after.stderr).toBe(0);
    expect(before.code, before.stderr).toBe(0);
    const shape = (text: string) => {
      const value = JSON.parse(text) as { profile: string; subject: string };
      return { profile: value.profile, subject: value.subject };
    };
    expect(shape(before.stdout)).toEqual(shape(after.stdout));
    expect(shape(profileAfter.stdout)).toEqual(shape(after.stdout));
    expect(shape(after.stdout).subject).toMatch(/./);
  });

  it('the same session runs the command when the usage is right (the rows above fail for the usage alone)', async () => {
    const result = await runGuard(['run', '--', 'touch', sandbox.marker], sandbox.env);
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(sandbox.marker)).toBe(true);
  });
});
