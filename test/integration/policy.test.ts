/**
 * Risk-based policy end to end (issue 3): named commands, rules, trust of
 * project files, explain, config check, confirm, touch/lock, and step-up
 * re-authentication against the real oidc-provider.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startIdp, type Idp } from '../support/idp.ts';
import { configFor, createSandbox, login, runGuard, runGuardNoSignIn, runWithApproval, type Sandbox } from '../support/guard.ts';
import { readKeychain } from '../support/keychain.ts';
// @ts-expect-error: plain ESM helper shared with the demo
import { createJar } from '../../scripts/lib/approve.mjs';

let idp: Idp;
let lax: Idp; // an IdP that ignores re-authentication requests
beforeAll(async () => {
  [idp, lax] = await Promise.all([startIdp(), startIdp({ ignoreReauth: true })]);
});
afterAll(async () => {
  await Promise.all([idp?.stop(), lax?.stop()]);
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const events = (sandbox: Sandbox) =>
  readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
const state = (sandbox: Sandbox) => JSON.parse(readFileSync(join(sandbox.stateDir, 'sessions', `${sandbox.profile}.json`), 'utf8'));

const TIERS = `  privileged: { idle: 15m, max_session: 8h, reauth_within: 2s }
  standard:   { idle: 45m, max_session: 12h }
  careful:    { idle: 45m, max_session: 12h, confirm: true }`;

describe('named commands and rules', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = createSandbox();
    sandbox.writeConfig(
      configFor(sandbox, idp.issuer, {
        tiers: TIERS,
        rules: `  - name: careful-rm\n    match: "rm **"\n    tier: careful`,
        commands: [
          '  show token:',
          '    run: ["sh", "-c", "printf %s \\"$T\\" | wc -c; echo \\"$1 $GUARD_SESSION\\"", "sh", "{1}"]',
          '    env: { T: "{access_token}" }',
          '    description: Show that a token arrived',
          '  greet:',
          '    run: ["echo", "hello", "{args}", "{env.WHO}"]',
        ].join('\n'),
      }),
    );
    await login(sandbox);
  });
  afterAll(async () => {
    await runGuard(['logout'], sandbox.env);
  });

  it('runs a multi-word named command, injecting the token only through env', async () => {
    const result = await runGuard(['show', 'token', 'first-arg'], sandbox.env);
    expect(result.code).toBe(0);
    const [length, rest] = result.stdout.trim().split('\n');
    expect(Number(length)).toBeGreaterThan(20);
    expect(rest).toBe(`first-arg ${sandbox.profile}`);
    expect(events(sandbox).at(-1)).toMatchObject({ event: 'command_exit', command: 'show token', exit_code: 0 });
  });

  it('lists named commands with their descriptions in guard --help', async () => {
    const help = await runGuard(['--help'], sandbox.env);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Your commands \(from the configuration\):\n {2}guard show token +Show that a token arrived\n {2}guard greet/);
  });

  it('expands {args} and {env.NAME}', async () => {
    const result = await runGuard(['greet', 'a b', 'c'], { ...sandbox.env, WHO: 'world' });
    expect(result).toMatchObject({ code: 0, stdout: 'hello a b c world\n' });
  });

  it('refuses a confirm tier without a TTY, unless --yes', async () => {
    const target = join(sandbox.dir, 'victim');
    writeFileSync(target, 'x');
    const refused = await runGuard(['run', '--', 'rm', target], sandbox.env);
    expect(refused.code).toBe(77);
    expect(refused.stderr).toBe('guard: "rm" (tier careful) needs a confirmation and no terminal can answer (no controlling terminal); to confirm in a script: guard run --yes -- rm …, or give it a tier without confirm\n');
    expect(existsSync(target)).toBe(true);
    const confirmed = await runGuard(['run', '--yes', '--', 'rm', target], sandbox.env);
    expect(confirmed.code).toBe(0);
    expect(existsSync(target)).toBe(false);
  });

  it('explains which rules match, from which layer, and what would happen', async () => {
    const result = await runGuard(['explain', '--json', '--', 'rm', '-rf', '/tmp/x'], sandbox.env);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      command: 'rm',
      rules: [{ name: 'careful-rm', tier: 'careful', layer: 'user', file: sandbox.configPath }],
      tier: 'careful',
      limits: { idle: '45m', confirm: true },
      decision: 'allow',
      outcome: 'confirm, then run',
    });
    const text = await runGuard(['explain', '--', 'rm', 'x'], sandbox.env);
    expect(text.stdout).toContain(`rule:     careful-rm  "rm **" → careful  (user: ${sandbox.configPath}:`);
  });

  it('touch marks activity; lock ends the session', async () => {
    const before = state(sandbox).last_activity;
    await sleep(20);
    expect((await runGuard(['touch'], sandbox.env)).code).toBe(0);
    expect(state(sandbox).last_activity).toBeGreaterThan(before);
    // (lock is checked in its own sandbox below, so this session stays usable)
  });
});

describe('touch and lock', () => {
  it('touch needs a live session (and never signs in); lock removes the session, so the next command needs a login', async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, idp.issuer));
    const touched = await runGuardNoSignIn(['touch'], sandbox.env);
    expect(touched).toMatchObject({ code: 77, signInStarted: false });
    await login(sandbox);
    expect((await runGuard(['run', '--no-prompt', '--', 'true'], sandbox.env)).code).toBe(0);
    const sessionFile = join(sandbox.stateDir, 'sessions', `${sandbox.profile}.json`);
    expect(existsSync(sessionFile)).toBe(true);
    expect(await readKeychain(sandbox.profile)).toBeDefined();
    expect((await runGuard(['lock'], sandbox.env)).code).toBe(0);
    expect(existsSync(sessionFile)).toBe(false);
    expect(await readKeychain(sandbox.profile)).toBeUndefined();
    const after = await runGuardNoSignIn(['run', '--', 'true'], sandbox.env);
    expect(after).toMatchObject({ code: 77, signInStarted: false });
    expect(after.stderr).toMatch(/^guard: sign-in required .*\(no session\)/);
  });
});

describe('project files need trust', () => {
  it('ignores an untrusted .guard.yaml, trusts it on request, un-trusts it on edit', async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, idp.issuer));
    const project = join(sandbox.dir, 'repo');
    mkdirSync(join(project, 'sub'), { recursive: true });
    const file = join(project, '.guard.yaml');
    writeFileSync(file, 'version: 1\ncommands:\n  hello:\n    run: ["echo", "hello from the project"]\n');
    const cwd = join(project, 'sub');

    const untrusted = await runGuard(['hello'], sandbox.env, { cwd });
    expect(untrusted.code).toBe(78);
    expect(untrusted.stderr).toContain(`guard: "hello" is defined only in ${file}, which is not trusted; review it, then run: guard trust ${file}`);
    expect(untrusted.stderr).toContain(`ignoring ${file}: it is not trusted`);

    expect((await runGuard(['trust'], sandbox.env, { cwd })).code).toBe(0);
    await login(sandbox);
    const trusted = await runGuard(['hello'], sandbox.env, { cwd });
    expect(trusted).toMatchObject({ code: 0, stdout: 'hello from the project\n', stderr: '' });

    writeFileSync(file, 'version: 1\ncommands:\n  hello:\n    run: ["echo", "edited"]\n');
    expect((await runGuard(['hello'], sandbox.env, { cwd })).code).toBe(78);
    expect((await runGuard(['trust', file], sandbox.env)).code).toBe(0);
    expect((await runGuard(['hello'], sandbox.env, { cwd })).stdout).toBe('edited\n');

    expect((await runGuard(['trust', '--revoke'], sandbox.env, { cwd })).code).toBe(0);
    expect((await runGuard(['hello'], sandbox.env, { cwd })).code).toBe(78);
    expect(events(sandbox).some((e) => e.event === 'config_untrusted')).toBe(true);
    await runGuard(['logout'], sandbox.env);
  });

  it('a project layer can tighten but never loosen the user\'s limits', async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, idp.issuer, { tiers: '  standard: { idle: 45m, max_session: 12h }' }));
    const project = join(sandbox.dir, 'repo');
    mkdirSync(project);
    writeFileSync(join(project, '.guard.yaml'), 'version: 1\ntiers:\n  standard: { idle: 10h, max_session: 1h }\n');
    expect((await runGuard(['trust'], sandbox.env, { cwd: project })).code).toBe(0);
    const result = await runGuard(['explain', '--json', '--', 'ls'], sandbox.env, { cwd: project });
    expect(JSON.parse(result.stdout).limits).toMatchObject({ idle: '45m', max_session: '1h' });
  });
});

describe('guard config check', () => {
  it('lists every problem with file:line:column and exits 78', async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, idp.issuer, { tiers: '  standard: { idle: 45 minutes, max_session: 12h, idel: 3m }' }));
    const result = await runGuard(['config', 'check'], sandbox.env);
    expect(result.code).toBe(78);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^${sandbox.configPath}:\\d+:\\d+: tiers\\.standard\\.idle: bad duration "45 minutes"`)),
      expect.stringMatching(new RegExp(`^${sandbox.configPath}:\\d+:\\d+: unknown key "idel" in tiers\\.standard`)),
      'guard: 2 problems found',
    ]);
    const json = await runGuard(['config', 'check', '--json'], sandbox.env);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: false, issues: [{ file: sandbox.configPath }, { file: sandbox.configPath }] });
  });

  it('exits 0 for a valid configuration', async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, idp.issuer, { tiers: TIERS }));
    expect((await runGuard(['config', 'check'], sandbox.env)).code).toBe(0);
  });
});

describe('step-up re-authentication (reauth_within)', () => {
  const privileged = (sandbox: Sandbox, issuer: string) =>
    sandbox.writeConfig(configFor(sandbox, issuer, { tiers: TIERS, rules: '  - name: prod\n    match: "touch **"\n    tier: privileged' }));

  it('runs a device flow that re-authenticates, then runs the command; max_session still counts from the first login', async () => {
    const sandbox = createSandbox();
    privileged(sandbox, idp.issuer);
    const jar = createJar(); // one browser: the IdP keeps its session cookie
    await login(sandbox, { jar });
    const first = state(sandbox);
    await sleep(2_300);
    const marker = join(sandbox.dir, 'ran');
    const denied = await runGuard(['run', '--no-prompt', '--', 'touch', marker], sandbox.env);
    expect(denied.code).toBe(77);
    expect(denied.stderr).toMatch(/^guard: step-up required for profile "\S+": tier privileged \(rule [^)]+\) needs a sign-in in the last 2s; yours was \d+s ago; run: guard login --profile \S+ --step-up/m);

    const result = await runWithApproval(['run', '--prompt', '--', 'touch', marker], sandbox.env, { jar });
    expect(result.code).toBe(0);
    expect(existsSync(marker)).toBe(true);
    const after = state(sandbox);
    expect(after.auth_time).toBeGreaterThan(first.auth_time);
    expect(after.login_time).toBe(first.login_time);
    expect(events(sandbox).map((e) => e.event)).toContain('step_up');
    await runGuard(['logout'], sandbox.env);
  });

  it('refuses with 77 when the IdP ignores the re-authentication request', async () => {
    const sandbox = createSandbox();
    privileged(sandbox, lax.issuer);
    const jar = createJar();
    await login(sandbox, { jar });
    const before = readFileSync(join(sandbox.stateDir, 'sessions', `${sandbox.profile}.json`), 'utf8');
    await sleep(2_300);
    const marker = join(sandbox.dir, 'ran');
    const result = await runWithApproval(['run', '--prompt', '--', 'touch', marker], sandbox.env, { jar });
    expect(result.code).toBe(77);
    expect(result.stderr).toMatch(/guard: the identity provider ignored the re-authentication request \(auth_time is \d+s old\); the command was not run/);
    expect(existsSync(marker)).toBe(false);
    expect(readFileSync(join(sandbox.stateDir, 'sessions', `${sandbox.profile}.json`), 'utf8')).toBe(before);
    expect(events(sandbox).at(-1)).toMatchObject({ event: 'login_failed', reason: 'reauth_ignored' });
    await runGuard(['logout'], sandbox.env);
  });

  it('guard login --step-up forces a fresh authentication', async () => {
    const sandbox = createSandbox();
    privileged(sandbox, idp.issuer);
    const jar = createJar();
    await login(sandbox, { jar });
    const first = state(sandbox);
    await sleep(2_100); // the provider honours max_age=1 only once a whole second has passed (RECIPES)
    const result = await runWithApproval(['login', '--step-up'], sandbox.env, { jar });
    expect(result.code).toBe(0);
    expect(state(sandbox).auth_time).toBeGreaterThan(first.auth_time);
    await runGuard(['logout'], sandbox.env);
  });
});
