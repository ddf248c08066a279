/**
 * SPEC §13 "Same person": a login or step-up that guard starts on its own
 * must return the profile's last subject, even after the session died. The
 * real oidc-provider; alice and mallory are two accounts of its dev login
 * page, approved over HTTP.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startIdp } from '../support/idp.ts';
import { configFor, createSandbox, login, runGuard, runWithApproval, type Sandbox } from '../support/guard.ts';
import { errorLine, snapshotSession } from '../support/session-snapshot.ts';
import { useServer } from '../support/use-server.ts';

const idp = useServer(() => startIdp());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Every tier's idle fires after 2 s (`quickIdle`), else after 45 m; privileged commands want an authentication within 1 s. */
function sandboxWith(quickIdle = false): Sandbox {
  const idle = quickIdle ? '2s' : '45m';
  const tiers = [`  standard: { idle: ${idle}, max_session: 12h }`, `  privileged: { idle: ${idle}, max_session: 12h, reauth_within: 1s }`].join('\n');
  const sandbox = createSandbox();
  sandbox.writeConfig(configFor(sandbox, idp.issuer, { tiers, rules: '  - { match: "touch **", tier: privileged }' }));
  return sandbox;
}

async function status(sandbox: Sandbox): Promise<{ subject?: string }> {
  const result = await runGuard(['status', '--json'], sandbox.env);
  return result.code === 0 ? JSON.parse(result.stdout) : {};
}

/** Refused: 77, one line naming both users, the command not run, nothing stored. */
async function expectOtherPersonRefused(sandbox: Sandbox, args: string[], marker: string): Promise<void> {
  const before = await snapshotSession(sandbox);
  const result = await runWithApproval(args, sandbox.env, { login: 'mallory' });
  expect(result.url, result.stderr).toBeDefined();
  expect(result.code, result.stderr).toBe(77);
  expect(errorLine(result.stderr)).toMatch(/^guard: .*"mallory".*"alice"|^guard: .*"alice".*"mallory"/);
  expect(existsSync(marker)).toBe(false);
  expect(await snapshotSession(sandbox)).toEqual(before);
}

describe('same person (SPEC §13)', () => {
  it('an inline sign-in after the session died must be the last subject', async () => {
    const sandbox = sandboxWith(true);
    await login(sandbox, { login: 'alice' });
    await sleep(2_300); // past every tier's idle: the session is dead
    expect((await runGuard(['run', '--no-prompt', '--', 'true'], sandbox.env)).code).toBe(77); // and now ended
    expect(await snapshotSession(sandbox)).toEqual({ state: undefined, keychain: undefined });
    const marker = join(sandbox.dir, 'ran');
    await expectOtherPersonRefused(sandbox, ['run', '--prompt', '--', 'sh', '-c', `echo > ${marker}`], marker);
    expect((await status(sandbox)).subject).toBeUndefined();
    // alice herself may sign in again inline.
    const again = await runWithApproval(['run', '--prompt', '--', 'sh', '-c', `echo > ${marker}`], sandbox.env, { login: 'alice' });
    expect(again.code, again.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect((await status(sandbox)).subject).toBe('alice');
  });

  it('a step-up inside a live session must be the same person', async () => {
    const sandbox = sandboxWith();
    await login(sandbox, { login: 'alice' });
    await sleep(1_200); // past reauth_within
    const marker = join(sandbox.dir, 'stepped');
    await expectOtherPersonRefused(sandbox, ['run', '--prompt', '--', 'touch', marker], marker);
    expect((await status(sandbox)).subject).toBe('alice');
  });

  it('a lock does not forget the last subject; only logout does', async () => {
    const sandbox = sandboxWith();
    await login(sandbox, { login: 'alice' });
    expect((await runGuard(['lock'], sandbox.env)).code).toBe(0);
    const marker = join(sandbox.dir, 'ran');
    await expectOtherPersonRefused(sandbox, ['run', '--prompt', '--', 'sh', '-c', `echo > ${marker}`], marker);
    // An explicit login without logout may not switch people either.
    const explicit = await runWithApproval(['login'], sandbox.env, { login: 'mallory' });
    expect(explicit.code, explicit.stderr).toBe(77);
    expect(errorLine(explicit.stderr)).toMatch(/guard logout/);
    // After logout, mallory may sign in.
    expect((await runGuard(['logout'], sandbox.env)).code).toBe(0);
    await login(sandbox, { login: 'mallory' });
    expect((await status(sandbox)).subject).toBe('mallory');
  });

  it('a session stored before the subject was remembered keeps its person when it ends', async () => {
    const sandbox = sandboxWith();
    await login(sandbox, { login: 'alice' });
    rmSync(join(sandbox.stateDir, 'subjects'), { recursive: true }); // as an older guard left it
    expect((await runGuard(['lock'], sandbox.env)).code).toBe(0);
    const marker = join(sandbox.dir, 'ran');
    await expectOtherPersonRefused(sandbox, ['run', '--prompt', '--', 'sh', '-c', `echo > ${marker}`], marker);
  });

  it('names the users escaped', async () => {
    const sandbox = sandboxWith();
    await login(sandbox, { login: 'alice' });
    expect((await runGuard(['lock'], sandbox.env)).code).toBe(0);
    const result = await runWithApproval(['run', '--prompt', '--', 'true'], sandbox.env, { login: 'mal\u001b]52;c;aGk=\u0007lory' });
    expect(result.code, result.stderr).toBe(77);
    expect(result.stderr).not.toMatch(/[\u001b\u0007]/);
    expect(errorLine(result.stderr)).toContain('mal\\x1b]52;c;aGk=\\x07lory');
  });
});
