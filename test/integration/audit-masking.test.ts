/**
 * SPEC §13 "Audit argv masks secrets by default": with `audit.argv: true`
 * and no secret_patterns, the audit log and the OTLP export carry the
 * masked line only. Real IdP, Secret Service and OTLP receiver.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startIdp, type Idp } from '../support/idp.ts';
import { configFor, createSandbox, login, runGuard } from '../support/guard.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.ts';

let idp: Idp;
let receiver: OtlpReceiver;
beforeAll(async () => {
  idp = await startIdp();
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver?.stop();
  await idp?.stop();
});

async function waitFor(what: string, condition: () => boolean, timeout = 20_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it('masks flag values, Authorization credentials, URL passwords, JWTs and held tokens, in the log and the OTLP export', async () => {
  const sandbox = createSandbox();
  sandbox.writeConfig(configFor(sandbox, idp.issuer, { extra: `audit:\n  argv: true\n  ship:\n    otlp: ${receiver.url}` }));
  await login(sandbox);
  const token = (await runGuard(['token'], sandbox.env)).stdout.trim();
  expect(token.length).toBeGreaterThan(10);
  const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNlY3JldA';
  const secrets = ['hunter2', 'sesame-open', 'bearer-credential-1', 'dXNlcjpzM2NyZXQ', 'pg-pass-9', jwt, token];
  const argv = [
    'sh', '-c', 'exit 0', 'x',
    '--password', 'hunter2',
    '--client-secret=sesame-open',
    '-H', 'Authorization: Bearer bearer-credential-1',
    '-H', 'Authorization: Basic dXNlcjpzM2NyZXQ',
    'postgres://app:pg-pass-9@db.prod/x',
    jwt,
    `X-Api:${token}`,
  ];
  const ran = await runGuard(['run', '--no-prompt', '--', ...argv], sandbox.env);
  expect(ran.code, ran.stderr).toBe(0);

  const lines = readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n');
  const allowed = lines.map((line) => JSON.parse(line) as { event: string; argv?: string[] }).findLast((e) => e.event === 'allowed')!;
  expect(allowed.argv).toEqual([
    'sh', '-c', 'exit 0', 'x', '--password', '****', '--client-secret=****', '-H', 'Authorization: Bearer ****', '-H', 'Authorization: Basic ****',
    'postgres://app:****@db.prod/x', '****', 'X-Api:****',
  ]);
  for (const secret of secrets) expect(lines.join('\n')).not.toContain(secret);

  await waitFor('the OTLP export', () => receiver.records.filter((r) => r.body.includes('"argv"')).length >= 2);
  const shipped = JSON.stringify(receiver.records);
  expect(shipped).toContain('Authorization: Bearer ****');
  for (const secret of secrets) expect(shipped).not.toContain(secret);
});
