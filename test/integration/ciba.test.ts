/**
 * Out-of-band approval (SPEC §11) against the real oidc-provider with
 * features.ciba (poll mode). guard runs detached (its own session, so no
 * controlling terminal) with pipes, like an agent or a cron job; the test
 * plays the person's phone through the IdP's test-only control endpoint,
 * which calls the provider's own backchannelResult.
 */
import { spawn } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { exportJWK, generateKeyPair } from 'jose';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdp, type Idp } from '../support/idp.ts';
import { collect, configFor, createSandbox, GUARD_BIN, login, type GuardResult, type Sandbox } from '../support/guard.ts';

let idp: Idp;
let plainIdp: Idp;
let shortIdp: Idp;
let approvalKey: string; // a private JWK (ES256) whose public half the IdP knows for guard-approval-jwt
beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = 'guard-approval-key';
  approvalKey = JSON.stringify({ ...(await exportJWK(privateKey)), alg: 'ES256', kid });
  const publicJwk = { ...(await exportJWK(publicKey)), alg: 'ES256', kid, use: 'sig' };
  [idp, plainIdp, shortIdp] = await Promise.all([startIdp({ ciba: true, cibaClientJwk: publicJwk }), startIdp(), startIdp({ ciba: true, cibaTtl: 2 })]);
});
afterAll(async () => {
  await Promise.all([idp?.stop(), plainIdp?.stop(), shortIdp?.stop()]);
});

interface SeenRequest {
  id: string;
  account: string;
  client_id: string;
  binding_message: string | null;
  login_hint: string | null;
  scope: string;
  max_age: string | null;
  answered: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The person's phone: waits for the next unanswered request and answers it. */
async function phone(at: Idp, answer: { action: 'approve' | 'deny' | 'ignore'; authTime?: number } = { action: 'approve' }, seenBefore = 0): Promise<SeenRequest> {
  for (let waited = 0; waited < 15_000; waited += 50) {
    const requests = (await (await fetch(`${at.issuer}/__test/ciba`)).json()) as SeenRequest[];
    const next = requests.slice(seenBefore).find((r) => !r.answered);
    if (next) {
      if (answer.action !== 'ignore') {
        const query = new URLSearchParams({ action: answer.action, ...(answer.authTime ? { auth_time: String(answer.authTime) } : {}) });
        const response = await fetch(`${at.issuer}/__test/ciba/${next.id}?${query}`, { method: 'POST' });
        if (!response.ok) throw new Error(`phone: ${response.status} ${await response.text()}`);
      }
      return next;
    }
    await sleep(50);
  }
  throw new Error('phone: no backchannel request arrived');
}

async function requestCount(at: Idp): Promise<number> {
  return ((await (await fetch(`${at.issuer}/__test/ciba`)).json()) as unknown[]).length;
}

/** guard as an agent would start it: its own session (no controlling terminal), stdin closed, pipes. */
function runDetached(args: string[], env: NodeJS.ProcessEnv): Promise<GuardResult> {
  return collect(spawn(GUARD_BIN, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }));
}

const TIERS = ['  standard: { idle: 45m, max_session: 12h }', '  privileged: { idle: 15m, reauth_within: 10m, approve_each: true }'].join('\n');
const RULES = '  - name: prod\n    match: "echo prod **"\n    tier: privileged';

function sandboxFor(at: Idp, approval = '{ method: ciba, login_hint: email }'): Sandbox {
  const sandbox = createSandbox();
  sandbox.writeConfig(configFor(sandbox, at.issuer, { tiers: TIERS, rules: RULES, scopes: ['openid', 'email', 'offline_access'], profileExtra: `    approval: ${approval}` }));
  return sandbox;
}

function auditEvents(sandbox: Sandbox): Array<Record<string, unknown>> {
  return readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('CIBA approval for a caller without a terminal', () => {
  it('asks the person with a binding message, runs the command once approved, and logs it', async () => {
    const sandbox = sandboxFor(idp);
    await login(sandbox, { login: 'alice' });
    const before = await requestCount(idp);
    const [result, seen] = await Promise.all([runDetached(['run', '--', 'echo', 'prod', 'ok'], sandbox.env), phone(idp, { action: 'approve' }, before)]);
    expect(result.stderr).toContain(`confirm "${seen.binding_message}" on your device`);
    expect(result.stderr).toMatch(/approval needed for "echo prod ok" \(tier privileged\)/);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('prod ok\n');
    expect(seen.binding_message).toMatch(/^echo\+prod\+[A-Z2-9]{4}$/);
    expect(seen.login_hint).toBe('alice@example.test');
    expect(seen.max_age).toBe('1');
    const events = auditEvents(sandbox).filter((e) => String(e.event).startsWith('approval_'));
    expect(events.map((e) => e.event)).toEqual(['approval_requested', 'approval_granted']);
    expect(events.every((e) => e.binding_message === seen.binding_message && e.command === 'echo')).toBe(true);
    console.log(`CIBA stderr line: ${result.stderr.trim()}\nbinding_message the IdP received: ${seen.binding_message}`);
  });

  it('a bind: terminal tier asked from no terminal at all is approved out of band, never by a device flow (SPEC §10, §11)', async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, idp.issuer, {
      tiers: `${TIERS}\n  bound: { idle: 15m, reauth_within: 10m, bind: terminal }`,
      rules: `${RULES}\n  - name: bound\n    match: "echo bound **"\n    tier: bound`,
      scopes: ['openid', 'email', 'offline_access'],
      profileExtra: '    approval: { method: ciba, login_hint: email }',
    }));
    await login(sandbox, { login: 'alice' });
    const before = await requestCount(idp);
    // --prompt would allow a device flow anywhere else: a bound tier without a terminal still asks the phone.
    const [result, seen] = await Promise.all([runDetached(['run', '--prompt', '--', 'echo', 'bound', 'ok'], sandbox.env), phone(idp, { action: 'approve' }, before)]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('bound ok\n');
    expect(result.stderr).toMatch(/approval needed for "echo bound ok" \(tier bound\)/);
    expect(result.stderr).not.toMatch(/user_code|Waiting for approval/);
    expect(seen.login_hint).toBe('alice@example.test');
    expect(await requestCount(idp)).toBe(before + 1);
  });

  it("the approver reads kubectl's verb and target (the kubeconfig's current context); the terminal line shows the whole command", async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, idp.issuer, { tiers: TIERS, rules: '  - name: kube\n    match: "kubectl **"\n    tier: privileged', scopes: ['openid', 'email', 'offline_access'], profileExtra: '    approval: { method: ciba, login_hint: email }' }));
    const kubeconfig = join(sandbox.dir, 'kubeconfig');
    writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\ncurrent-context: prod-eu\ncontexts:\n- name: prod-eu\n  context: { cluster: c, user: u }\nclusters:\n- name: c\n  cluster: { server: "https://127.0.0.1:9" }\nusers:\n- name: u\n  user: { token: x }\n');
    await login(sandbox, { login: 'alice' });
    const before = await requestCount(idp);
    const env = { ...sandbox.env, KUBECONFIG: kubeconfig };
    const [deleted, seenDelete] = await Promise.all([runDetached(['run', '--', 'kubectl', 'delete', 'pod', 'web-1'], env), phone(idp, { action: 'deny' }, before)]);
    const [listed, seenGet] = await Promise.all([runDetached(['run', '--', 'kubectl', '--context', 'prod-eu', 'get', 'pods'], env), phone(idp, { action: 'deny' }, before + 1)]);
    expect([deleted.code, listed.code]).toEqual([77, 77]);
    expect(seenDelete.binding_message).toMatch(/^delete\+prod-eu\+[A-Z2-9]{4}$/);
    expect(seenGet.binding_message).toMatch(/^get\+prod-eu\+[A-Z2-9]{4}$/);
    expect(deleted.stderr).toContain(`guard: approval needed for "kubectl delete pod web-1" (tier privileged): confirm "${seenDelete.binding_message}" on your device`);
    console.log(`CIBA stderr line: ${deleted.stderr.split('\n')[0]}\nbinding_message the IdP received: ${seenDelete.binding_message}`);
  });

  it('approve_each: two invocations make two requests, though the first approval is fresh', async () => {
    const sandbox = sandboxFor(idp);
    await login(sandbox, { login: 'alice' });
    const before = await requestCount(idp);
    const [first] = await Promise.all([runDetached(['run', '--', 'echo', 'prod', '1'], sandbox.env), phone(idp, { action: 'approve' }, before)]);
    const [second] = await Promise.all([runDetached(['run', '--', 'echo', 'prod', '2'], sandbox.env), phone(idp, { action: 'approve' }, before + 1)]);
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(first.stdout + second.stdout).toBe('prod 1\nprod 2\n');
    expect(await requestCount(idp)).toBe(before + 2);
  });

  it('a denial exits 77 and the command does not run', async () => {
    const sandbox = sandboxFor(idp);
    await login(sandbox, { login: 'alice' });
    const before = await requestCount(idp);
    const [result, seen] = await Promise.all([runDetached(['run', '--', 'echo', 'prod', 'ok'], sandbox.env), phone(idp, { action: 'deny' }, before)]);
    expect(result.code).toBe(77);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`guard: the approval "${seen.binding_message}" was denied; the command was not run`);
    expect(auditEvents(sandbox).some((e) => e.event === 'approval_denied' && e.binding_message === seen.binding_message)).toBe(true);
  });

  it('an unanswered request expires: 77, the command not run', async () => {
    const sandbox = sandboxFor(shortIdp);
    await login(sandbox, { login: 'alice' });
    const before = await requestCount(shortIdp);
    const [result] = await Promise.all([runDetached(['run', '--', 'echo', 'prod', 'ok'], sandbox.env), phone(shortIdp, { action: 'ignore' }, before)]);
    expect(result.code).toBe(77);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/guard: the approval request "echo\+prod\+\w{4}" expired before it was approved; the command was not run/);
  });

  it('honours slow_down: the next poll comes at least 5 s later, and the approval still goes through', async () => {
    const sandbox = sandboxFor(idp);
    await login(sandbox, { login: 'alice' });
    const before = await requestCount(idp);
    const pollsBefore = ((await (await fetch(`${idp.issuer}/__test/ciba-polls`)).json()) as number[]).length;
    await fetch(`${idp.issuer}/__test/ciba-slow-down?count=1`, { method: 'POST' });
    const running = runDetached(['--verbose', 'run', '--', 'echo', 'prod', 'ok'], sandbox.env);
    const seen = await phone(idp, { action: 'ignore' }, before);
    for (let waited = 0; ((await (await fetch(`${idp.issuer}/__test/ciba-polls`)).json()) as number[]).length <= pollsBefore; waited += 50) {
      if (waited > 10_000) throw new Error('guard never polled');
      await sleep(50);
    }
    await fetch(`${idp.issuer}/__test/ciba/${seen.id}?action=approve`, { method: 'POST' });
    const result = await running;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('asked to slow down');
    const polls = ((await (await fetch(`${idp.issuer}/__test/ciba-polls`)).json()) as number[]).slice(pollsBefore);
    expect(polls.length).toBe(2); // the slowed-down poll, then the one that got the tokens
    expect(polls[1]! - polls[0]!).toBeGreaterThanOrEqual(5_000); // GUARD_POLL_INTERVAL is 0.2 s: only slow_down explains the wait
  });

  it('the approval must come from the same person as the stored session', async () => {
    // carol+x signs in; her email is carol@example.test, which the IdP maps to the account "carol": another subject.
    const sandbox = sandboxFor(idp);
    await login(sandbox, { login: 'carol+x' });
    const before = await requestCount(idp);
    const [result] = await Promise.all([runDetached(['run', '--', 'echo', 'prod', 'ok'], sandbox.env), phone(idp, { action: 'approve' }, before)]);
    expect(result.code).toBe(77);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('the approval came from carol, but profile');
    expect(result.stderr).toContain('belongs to carol+x');
    expect(auditEvents(sandbox).some((e) => e.event === 'approval_denied' && e.reason === 'subject_changed')).toBe(true);
  });

  it('an approval without a fresh auth_time is refused like an ignored step-up', async () => {
    const sandbox = sandboxFor(idp);
    await login(sandbox, { login: 'alice' });
    const before = await requestCount(idp);
    const hourAgo = Math.floor(Date.now() / 1000) - 3600;
    const [result] = await Promise.all([runDetached(['run', '--', 'echo', 'prod', 'ok'], sandbox.env), phone(idp, { action: 'approve', authTime: hourAgo }, before)]);
    expect(result.code).toBe(77);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('is no fresh authentication');
  });

  it('without a stored session: 77, telling to sign in once at a terminal, and no request is sent', async () => {
    const sandbox = sandboxFor(idp);
    const before = await requestCount(idp);
    const result = await runDetached(['run', '--', 'echo', 'prod', 'ok'], sandbox.env);
    expect(result.code).toBe(77);
    expect(result.stderr).toMatch(/run guard login once at a terminal/);
    expect(result.stdout).toBe('');
    expect(await requestCount(idp)).toBe(before);
  });

  it('an IdP without a backchannel endpoint: 78 naming the profile', async () => {
    const sandbox = sandboxFor(plainIdp);
    await login(sandbox, { login: 'alice' });
    const result = await runDetached(['run', '--', 'echo', 'prod', 'ok'], sandbox.env);
    expect(result.code).toBe(78);
    expect(result.stderr).toContain(`profile "${sandbox.profile}" asks for approval by CIBA, but the identity provider ${plainIdp.issuer} has no backchannel_authentication_endpoint`);
    expect(result.stdout).toBe('');
  });

  it('an IdP without a backchannel endpoint is said first: before a missing login_hint claim, and before a missing session', async () => {
    const sandbox = createSandbox();
    // No email scope: the ID token carries no email claim for login_hint either.
    sandbox.writeConfig(configFor(sandbox, plainIdp.issuer, { tiers: TIERS, rules: RULES, scopes: ['openid', 'offline_access'], profileExtra: '    approval: { method: ciba, login_hint: email }' }));
    const expected = `guard: profile "${sandbox.profile}" asks for approval by CIBA, but the identity provider ${plainIdp.issuer} has no backchannel_authentication_endpoint; enable CIBA there or remove approval: from the profile\n`;
    const withoutSession = await runDetached(['run', '--', 'echo', 'prod', 'ok'], sandbox.env);
    expect(withoutSession).toMatchObject({ code: 78, stdout: '', stderr: expected });
    await login(sandbox, { login: 'alice' });
    const withoutClaim = await runDetached(['run', '--', 'echo', 'prod', 'ok'], sandbox.env);
    expect(withoutClaim).toMatchObject({ code: 78, stdout: '', stderr: expected });
  });

  it("an approval client of its own with client_secret_env; a missing or wrong secret is 78 naming what to set", async () => {
    const sandbox = sandboxFor(idp, '{ method: ciba, login_hint: email, client_id: guard-approval, client_secret_env: GUARD_TEST_APPROVAL_SECRET }');
    await login(sandbox, { login: 'alice' });
    const missing = await runDetached(['run', '--', 'echo', 'prod', 'ok'], sandbox.env);
    expect(missing.code).toBe(78);
    expect(missing.stderr).toContain('the variable GUARD_TEST_APPROVAL_SECRET (the client secret) is not set');
    const wrong = await runDetached(['run', '--', 'echo', 'prod', 'ok'], { ...sandbox.env, GUARD_TEST_APPROVAL_SECRET: 'wrong' });
    expect(wrong.code).toBe(78);
    expect(wrong.stderr).toContain(`refused guard's client for CIBA (invalid_client) for profile "${sandbox.profile}"; check the approval client_id "guard-approval" and its secret (GUARD_TEST_APPROVAL_SECRET) at the IdP`);
    expect(wrong.stderr).not.toContain('wrong');
    const before = await requestCount(idp);
    const [ok, seen] = await Promise.all([
      runDetached(['run', '--', 'echo', 'prod', 'ok'], { ...sandbox.env, GUARD_TEST_APPROVAL_SECRET: 'guard-approval-secret' }),
      phone(idp, { action: 'approve' }, before),
    ]);
    expect(seen.client_id).toBe('guard-approval');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('prod ok\n');
  });

  it('an approval client of its own with private_key_jwt: a 0600 JWK file signs the client assertion; a key file others can read is refused (78)', async () => {
    const sandbox = createSandbox();
    const keyFile = join(sandbox.dir, 'approval-key.jwk');
    writeFileSync(keyFile, approvalKey, { mode: 0o600 });
    sandbox.writeConfig(
      configFor(sandbox, idp.issuer, { tiers: TIERS, rules: RULES, scopes: ['openid', 'email', 'offline_access'], profileExtra: `    approval: { method: ciba, login_hint: email, client_id: guard-approval-jwt, private_key_jwt: ${keyFile} }` }),
    );
    await login(sandbox, { login: 'alice' });
    const before = await requestCount(idp);
    const [ok, seen] = await Promise.all([runDetached(['run', '--', 'echo', 'prod', 'ok'], sandbox.env), phone(idp, { action: 'approve' }, before)]);
    expect(seen.client_id).toBe('guard-approval-jwt');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('prod ok\n');
    chmodSync(keyFile, 0o640);
    const loose = await runDetached(['run', '--', 'echo', 'prod', 'ok'], sandbox.env);
    expect(loose.code).toBe(78);
    expect(loose.stderr).toContain(`the key file ${keyFile} is readable by other users; run: chmod 600 ${keyFile}`);
    expect(await requestCount(idp)).toBe(before + 1);
  });

  it('a terminal-less caller of a tier without approve_each rides on a fresh session without asking', async () => {
    const sandbox = sandboxFor(idp);
    await login(sandbox, { login: 'alice' });
    const before = await requestCount(idp);
    const result = await runDetached(['run', '--', 'echo', 'standard'], sandbox.env);
    expect(result.code).toBe(0);
    expect(await requestCount(idp)).toBe(before);
  });
});
