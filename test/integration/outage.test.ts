/**
 * An identity-provider outage (issue 23, docs/outage.md): guard fails fast
 * (a refused connection at once; a hanging IdP costs one bounded wait per
 * process, never one per request), and a tier's `offline_grace` lets
 * commands that need no token run for a while after the access token
 * expired, within every local limit, with one warning line and an
 * `offline_allowed` audit event. Tokens are never handed out past their
 * expiry. The IdPs here are the fake one (test/support/fake-idp.ts): it
 * can hang, and it counts what it was asked.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configFor, createSandbox, runGuard, type GuardResult, type Sandbox } from '../support/guard.ts';
import { hang, startFakeIdp, type FakeIdp } from '../support/fake-idp.ts';
import { lines, stateFile } from '../support/session-snapshot.ts';
import { setSessionClocks } from '../support/state-file.ts';
import { checkSecretsAfterAll } from '../support/hygiene.ts';

const idps: FakeIdp[] = [];
afterEach(async () => {
  await Promise.all(idps.splice(0).map((idp) => idp.stop()));
});
const issued = new Set<string>();
const { folders, outputs } = checkSecretsAfterAll(() => issued);

const GRACE_TIERS = ['  standard: { idle: 45m, max_session: 12h, offline_grace: 2h }', '  strict: { idle: 4h, max_session: 12h }'].join('\n');

interface Seeded {
  idp: FakeIdp;
  sandbox: Sandbox;
  marker: string;
}

/** A session signed in at a fake IdP whose access token has already expired (what an outage runs into). */
async function seed(options: { tiers?: string; rules?: string; commands?: string } = {}): Promise<Seeded> {
  const idp = await startFakeIdp();
  idps.push(idp);
  const sandbox = createSandbox();
  folders.push(sandbox.dir);
  sandbox.env.GUARD_HTTP_TIMEOUT = '1'; // rows with a hanging IdP: each request gives up after 1 s
  sandbox.writeConfig(configFor(sandbox, idp.issuer, { tiers: options.tiers ?? GRACE_TIERS, rules: options.rules, commands: options.commands }));
  idp.accessTtl = 1;
  const login = await runGuard(['login'], sandbox.env);
  expect(login.code, login.stderr).toBe(0);
  for (const token of idp.issued) issued.add(token);
  // Expired a minute ago (the fake IdP's 1 s lifetime, moved back): what a refresh would renew.
  setSessionClocks(sandbox, { access_expires_at: Date.now() - 60_000 });
  return { idp, sandbox, marker: join(sandbox.dir, 'ran') };
}


async function guard(args: string[], seeded: Seeded, env: NodeJS.ProcessEnv = {}): Promise<GuardResult> {
  const result = await runGuard(args, { ...seeded.sandbox.env, ...env });
  outputs.push(result.stdout, result.stderr);
  return result;
}

const events = (sandbox: Sandbox) =>
  readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

describe('an unreachable IdP fails fast', () => {
  it('a refused connection: 69 at once, one line, the command not run', async () => {
    const seeded = await seed({ tiers: '  standard: { idle: 45m, max_session: 12h }' });
    await seeded.idp.stop();
    const result = await guard(['run', '--', 'touch', seeded.marker], seeded);
    expect(result.code).toBe(69);
    expect(lines(result.stderr)).toEqual([`guard: the identity provider ${seeded.idp.issuer} refused the connection during discovery; check your network or the profile's issuer`]);
    expect(existsSync(seeded.marker)).toBe(false);
  });

  it('a hanging IdP is asked once per process: a dead session\'s revocation and the sign-in after it share one wait', async () => {
    const seeded = await seed({ tiers: '  standard: { idle: 45m, max_session: 12h }' });
    // Idle for a day: the session is dead, so guard revokes its refresh token (discovery hangs), then
    // would start a sign-in (discovery again): the second must not wait again.
    setSessionClocks(seeded.sandbox, { last_activity: Date.now() - 86_400_000 });
    seeded.idp.set('discovery', hang);
    seeded.idp.requests.length = 0;
    const result = await guard(['run', '--prompt', '--', 'touch', seeded.marker], seeded);
    expect(result.code).toBe(69);
    expect(lines(result.stderr).at(-1)).toMatch(/^guard: the identity provider \S+ did not answer in time during discovery/);
    expect(seeded.idp.requests.map((r) => r.endpoint)).toEqual(['discovery']);
    expect(existsSync(seeded.marker)).toBe(false);
  });

  it('a token endpoint that hangs during a refresh: one request to it, 69', async () => {
    const seeded = await seed({ tiers: '  standard: { idle: 45m, max_session: 12h }' });
    seeded.idp.set('token', hang);
    seeded.idp.requests.length = 0;
    const result = await guard(['run', '--', 'touch', seeded.marker], seeded);
    expect(result.code).toBe(69);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(seeded.idp.requests.map((r) => r.endpoint)).toEqual(['discovery', 'token']);
  });
});

describe('offline_grace', () => {
  it('runs a command that needs no token within the grace: one warning line, an offline_allowed event, the session kept', async () => {
    const seeded = await seed();
    await seeded.idp.stop();
    const before = readFileSync(stateFile(seeded.sandbox), 'utf8');
    const result = await guard(['run', '--', 'sh', '-c', 'echo hi; touch "$0"', seeded.marker], seeded);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('hi\n');
    expect(lines(result.stderr)).toEqual([
      expect.stringMatching(new RegExp(`^guard: warning: the identity provider ${seeded.idp.issuer} refused the connection during discovery; "sh" runs on the offline grace of tier standard \\(1h5\\dm left\\)$`)),
    ]);
    const offline = events(seeded.sandbox).filter((e) => e.event === 'offline_allowed');
    expect(offline).toEqual([expect.objectContaining({ command: 'sh', tier: 'standard', reason: 'idp_unreachable', profile: seeded.sandbox.profile })]);
    expect(offline[0]!.grace_left_ms).toBeGreaterThan(0);
    expect(events(seeded.sandbox).at(-1)).toMatchObject({ event: 'command_exit', exit_code: 0 });
    // The session is the same one (activity moved, nothing else).
    const after = JSON.parse(readFileSync(stateFile(seeded.sandbox), 'utf8'));
    expect({ ...after, last_activity: 0 }).toEqual({ ...JSON.parse(before), last_activity: 0 });
  });

  it('never hands out a token past its expiry: guard token and env injection still exit 69', async () => {
    const seeded = await seed({ commands: ['  with-token:', '    run: ["sh", "-c", "touch \\"$0\\"", "{env.MARK}"]', '    env: { T: "{access_token}" }'].join('\n') });
    await seeded.idp.stop();
    const token = await guard(['token'], seeded);
    expect(token.code).toBe(69);
    expect(token.stdout).toBe('');
    const injected = await guard(['with-token'], seeded, { MARK: seeded.marker });
    expect(injected.code).toBe(69);
    expect(existsSync(seeded.marker)).toBe(false);
    expect(events(seeded.sandbox).map((e) => e.event)).not.toContain('offline_allowed');
  });

  it('refuses past the grace, for a tier without one, and when any matching tier has none (69)', async () => {
    const seeded = await seed({ rules: ['  - name: strict-rm', '    match: "rm **"', '    tier: strict'].join('\n') });
    await seeded.idp.stop();
    // A rule puts rm on a tier without a grace.
    const strict = await guard(['run', '--', 'rm', '-f', join(seeded.sandbox.dir, 'nothing')], seeded);
    expect(strict.code).toBe(69);
    expect(lines(strict.stderr)).toEqual([expect.stringMatching(/refused the connection during discovery; check your network/)]);
    // Past the grace: the access token expired 2h01m ago.
    setSessionClocks(seeded.sandbox, { access_expires_at: Date.now() - 2 * 3_600_000 - 60_000 });
    const late = await guard(['run', '--', 'touch', seeded.marker], seeded);
    expect(late.code).toBe(69);
    expect(existsSync(seeded.marker)).toBe(false);
    expect(events(seeded.sandbox).map((e) => e.event)).not.toContain('offline_allowed');
  });

  it('never stretches a local limit: idle past the tier\'s limit still needs a sign-in (77)', async () => {
    const seeded = await seed();
    await seeded.idp.stop();
    setSessionClocks(seeded.sandbox, { last_activity: Date.now() - 46 * 60_000, access_expires_at: Date.now() - 60_000 });
    const result = await guard(['run', '--no-prompt', '--', 'touch', seeded.marker], seeded);
    expect(result.code).toBe(77);
    expect(lines(result.stderr).at(-1)).toMatch(/^guard: sign-in required for profile "[^"]+" \(idle 46m > 45m\)/);
    expect(existsSync(seeded.marker)).toBe(false);
  });

  it('explain shows the grace among the limits', async () => {
    const seeded = await seed();
    const result = await guard(['explain', '--json', '--', 'echo'], seeded);
    expect(JSON.parse(result.stdout).limits).toMatchObject({ offline_grace: '2h' });
  });
});
