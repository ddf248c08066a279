/**
 * SPEC §13 "Audit argv masks secrets by default": with `audit.argv: true`
 * and no secret_patterns, the audit log and the OTLP export carry the
 * masked line only. Real IdP, Secret Service and OTLP receiver.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

it('masks the secret forms of the tools guard wraps (SPEC §13 v3) in the log and in the OTLP export', async () => {
  const sandbox = createSandbox();
  sandbox.writeConfig(configFor(sandbox, idp.issuer, { extra: `audit:\n  argv: true\n  ship:\n    otlp: ${receiver.url}` }));
  // mysql and curl as guard sees them (stand-ins that exit 0: the argv is what counts).
  const bin = join(sandbox.dir, 'bin');
  mkdirSync(bin);
  for (const tool of ['mysql', 'curl']) {
    writeFileSync(join(bin, tool), '#!/bin/sh\nexit 0\n');
    chmodSync(join(bin, tool), 0o755);
  }
  const env = { ...sandbox.env, PATH: `${bin}:${sandbox.env.PATH}` };
  await login(sandbox);
  const secrets = ['libpq-pass-1', 'literal-pass-2', 'helm-pass-3', 'tf-pass-4', 'url/pass@5', 'drf-token-6', 'api-key-7', 'mysql-pass-8', 'curl-pass-9', 'helm-pass-10'];
  const runs = [
    [
      'sh', '-c', 'exit 0', 'x',
      'host=db.prod port=5432 password=libpq-pass-1 dbname=app',
      '--from-literal=password=literal-pass-2',
      '--set=db.password=helm-pass-3', '--set', 'a.password=helm-pass-10',
      '-var=db_password=tf-pass-4',
      'postgresql://app:url/pass@5@db.prod/app',
      '-H', 'Authorization: Token drf-token-6',
      '-H', 'X-Api-Key: api-key-7',
    ],
    ['mysql', '-h', 'db.prod', '-u', 'app', '-pmysql-pass-8', 'app'],
    ['curl', '-u', 'app:curl-pass-9', 'https://api.example.com/'],
  ];
  for (const argv of runs) {
    const ran = await runGuard(['run', '--no-prompt', '--', ...argv], env);
    expect(ran.code, ran.stderr).toBe(0);
  }
  const lines = readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n');
  const logged = lines.map((line) => JSON.parse(line) as { event: string; argv?: string[] }).filter((e) => e.event === 'allowed').map((e) => e.argv);
  expect(logged).toEqual([
    [
      'sh', '-c', 'exit 0', 'x',
      'host=db.prod port=5432 password=**** dbname=app',
      '--from-literal=password=****',
      '--set=db.password=****', '--set', 'a.password=****',
      '-var=db_password=****',
      'postgresql://app:****@db.prod/app',
      '-H', 'Authorization: Token ****',
      '-H', 'X-Api-Key: ****',
    ],
    ['mysql', '-h', 'db.prod', '-u', 'app', '-p****', 'app'],
    ['curl', '-u', 'app:****', 'https://api.example.com/'],
  ]);
  for (const secret of secrets) expect(lines.join('\n')).not.toContain(secret);

  await waitFor('the OTLP export', () => receiver.records.filter((r) => r.body.includes('"argv"') && r.body.includes('curl')).length >= 2);
  const shipped = JSON.stringify(receiver.records);
  expect(shipped).toContain('password=****');
  for (const secret of secrets) expect(shipped).not.toContain(secret);
});

