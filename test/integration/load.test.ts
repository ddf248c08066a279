/**
 * Load: 100 guarded runs at once on one profile, and 32 at once right after
 * the access token expired (one refresh, the rest use its result). Zero
 * failures, zero torn files, every audit line whole, the grant intact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startIdp, type Idp } from '../support/idp.ts';
import { collect, configFor, createSandbox, login, runGuard, startGuard, type GuardResult, type Sandbox } from '../support/guard.ts';
import { readKeychain, userinfoAccepts } from '../support/keychain.ts';
import { parseState } from '../../src/session/state.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let idp: Idp;
let shortLived: Idp;
beforeAll(async () => {
  [idp, shortLived] = await Promise.all([startIdp(), startIdp({ accessTtl: 3 })]);
});
afterAll(async () => {
  await Promise.all([idp?.stop(), shortLived?.stop()]);
});

function parallel(count: number, args: string[], env: NodeJS.ProcessEnv): Promise<GuardResult[]> {
  return Promise.all(Array.from({ length: count }, () => collect(startGuard(args, env))));
}

/** Every line of the audit log is one whole JSON event. */
function auditEvents(sandbox: Sandbox): Array<Record<string, unknown>> {
  const text = readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      const event = JSON.parse(line) as Record<string, unknown>;
      expect(event).toMatchObject({ ts: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), event: expect.any(String), profile: sandbox.profile });
      return event;
    });
}

function expectNothingTorn(sandbox: Sandbox): void {
  const dir = join(sandbox.stateDir, 'sessions');
  expect(readdirSync(dir).filter((name) => name !== `${sandbox.profile}.json`)).toEqual([]); // no temp files, no locks left
  expect(parseState(readFileSync(join(dir, `${sandbox.profile}.json`), 'utf8'), sandbox.profile)).toBeDefined();
}

describe('under load, on one profile', () => {
  it('100 parallel guarded runs: all succeed, one consistent state, 200 whole audit lines', async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, idp.issuer, { tiers: '  standard: { idle: 45m, max_session: 12h }' }));
    await login(sandbox);
    const results = await parallel(100, ['run', '--', 'sh', '-c', 'exit 0'], { ...sandbox.env, GUARD_HTTP_TIMEOUT: '20' });
    expect(results.map((r) => r.code)).toEqual(Array(100).fill(0));
    expect(results.filter((r) => r.stderr !== '').map((r) => r.stderr)).toEqual([]);
    expectNothingTorn(sandbox);
    const counts = new Map<unknown, number>();
    for (const event of auditEvents(sandbox)) counts.set(event.event, (counts.get(event.event) ?? 0) + 1);
    expect(counts.get('allowed')).toBe(100);
    expect(counts.get('command_exit')).toBe(100);
    await runGuard(['logout'], sandbox.env);
  });

  it('32 parallel runs right after the access token expired: one refresh, all succeed, the grant stays valid', async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, shortLived.issuer, { tiers: '  standard: { idle: 45m, max_session: 12h }' }));
    await login(sandbox);
    const before = await readKeychain(sandbox.profile);
    await sleep(3_200); // accessTtl 3 s

    const results = await parallel(32, ['run', '--no-prompt', '--', 'true'], sandbox.env);
    expect(results.map((r) => r.code)).toEqual(Array(32).fill(0));
    expect(results.filter((r) => r.stderr !== '').map((r) => r.stderr)).toEqual([]);
    expectNothingTorn(sandbox);
    const events = auditEvents(sandbox);
    // Serialized: a parallel refresh with the same (rotated) refresh token would be rejected and revoke
    // the grant, so "all succeed, nothing expired" is the proof. Waiters reuse the winner's tokens, so
    // refreshes are few: one, or another when the burst outlasts the new 3 s access token.
    const refreshes = events.filter((e) => e.event === 'refresh').length;
    expect(refreshes).toBeGreaterThanOrEqual(1);
    expect(refreshes).toBeLessThanOrEqual(8);
    expect(events.filter((e) => e.event === 'allowed')).toHaveLength(32);
    expect(events.filter((e) => e.event === 'session_expired')).toEqual([]);

    const after = await readKeychain(sandbox.profile);
    expect(after!.refresh_token).not.toBe(before!.refresh_token);
    // The grant is intact: the rotated refresh token works for the next refresh too,
    // and the token it yields is accepted (checked at once: these tokens live 3 s).
    await sleep(3_200);
    const refreshesBefore = auditEvents(sandbox).filter((e) => e.event === 'refresh').length;
    const next = await runGuard(['token', '--no-prompt'], sandbox.env);
    expect(next.code, next.stderr).toBe(0);
    expect(await userinfoAccepts(shortLived.issuer, next.stdout.trim())).toBe(true);
    expect(auditEvents(sandbox).filter((e) => e.event === 'refresh')).toHaveLength(refreshesBefore + 1);
    await runGuard(['logout'], sandbox.env);
  });
});
