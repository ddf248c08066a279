/**
 * SPEC §13 "The system layer stays": no rollback of the central policy by
 * rotating its keys; the audit log and trust records are opened like state
 * files (no symlinks, owner and mode checked). Real bin/guard, real HTTPS
 * policy server; no IdP needed (`explain`, `policy pull`, `trust`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompactSign, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { configFor, createSandbox, runGuard, type Sandbox } from '../support/guard.ts';
import { createTestCa, startPolicyServer, type PolicyServer, type TestCa } from '../support/https-server.ts';

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

let ca: TestCa;
let server: PolicyServer;
beforeAll(async () => {
  ca = createTestCa();
  server = await startPolicyServer(ca);
});
afterAll(async () => {
  await server?.stop();
});

async function makeKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

const nowS = () => Math.floor(Date.now() / 1000);

async function policy(idle: string, iat: number, by: SigningKey): Promise<string> {
  const payload = { version: 1, tiers: { privileged: { idle } }, rules: [{ name: 'prod', match: 'kubectl **', tier: 'privileged' }], iat, exp: nowS() + 3600 };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: 'ES256', kid: by.kid }).sign(by.privateKey);
}

function systemLayer(sandbox: Sandbox, keys: SigningKey[]): void {
  writeFileSync(sandbox.env.GUARD_SYSTEM_POLICY!, `version: 1\npolicy_url: ${server.url}\npolicy_keys: ${JSON.stringify(keys.map((k) => k.jwk))}\npolicy_refresh: 1s\n`);
}

describe('central policy', () => {
  it('keeps the highest accepted iat across a key rotation (no rollback by rotating keys)', async () => {
    const [k1, k2] = await Promise.all([makeKey('k1'), makeKey('k2')]);
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, 'https://idp.example.invalid'));
    sandbox.env.NODE_EXTRA_CA_CERTS = ca.caFile;
    const iat = nowS() - 60;
    systemLayer(sandbox, [k1]);
    server.setDocument(await policy('5m', iat, k1));
    expect((await runGuard(['policy', 'pull'], sandbox.env)).code).toBe(0);

    // The organisation rotates to k2; an attacker who holds an old document signed by k2 replays it.
    systemLayer(sandbox, [k2]);
    server.setDocument(await policy('8h', iat - 3600, k2));
    const pulled = await runGuard(['policy', 'pull'], sandbox.env);
    expect(pulled.code, pulled.stderr).toBe(69);
    expect(pulled.stderr).toMatch(/rollback/);

    // A newer document under the new key is accepted.
    server.setDocument(await policy('4m', iat + 5, k2));
    expect((await runGuard(['policy', 'pull'], sandbox.env)).code).toBe(0);
  });
});

describe('audit log and trust records are opened like state files', () => {
  it('never appends to an audit.jsonl that is a symlink', async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, 'https://idp.example.invalid'));
    mkdirSync(sandbox.stateDir, { recursive: true, mode: 0o700 });
    const target = join(sandbox.dir, 'elsewhere.txt');
    writeFileSync(target, 'precious\n');
    symlinkSync(target, join(sandbox.stateDir, 'audit.jsonl'));
    const result = await runGuard(['run', '--no-prompt', '--', 'true'], sandbox.env); // a 'denied' event
    expect(result.code).toBe(77);
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
    const report = await runGuard(['report'], sandbox.env);
    expect(report.code).not.toBe(0);
    expect(report.stderr).toMatch(/^guard: the audit log .*audit\.jsonl cannot be read \(ELOOP\)/);
  });

  it('ignores a trust record that is a symlink or writable by others', async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, 'https://idp.example.invalid', { tiers: '  standard: { idle: 45m }\n  privileged: { idle: 5m }' }));
    const repo = join(sandbox.dir, 'repo');
    mkdirSync(repo);
    writeFileSync(join(repo, '.guard.yaml'), 'version: 1\nrules:\n  - { match: "make deploy", tier: privileged }\n');
    expect((await runGuard(['trust'], sandbox.env, { cwd: repo })).code).toBe(0);
    const explain = async () => JSON.parse((await runGuard(['explain', '--json', '--', 'make', 'deploy'], sandbox.env, { cwd: repo })).stdout).tier as string;
    expect(await explain()).toBe('privileged');

    const trustDir = join(sandbox.stateDir, 'trust');
    const [record] = readdirSync(trustDir);
    const copy = join(sandbox.dir, 'record-copy');
    writeFileSync(copy, readFileSync(join(trustDir, record!)));
    chmodSync(join(trustDir, record!), 0o666);
    expect(await explain()).toBe('standard');

    // The same bytes behind a symlink are not a record either.
    const { unlinkSync } = await import('node:fs');
    unlinkSync(join(trustDir, record!));
    symlinkSync(copy, join(trustDir, record!));
    expect(existsSync(join(trustDir, record!))).toBe(true);
    expect(await explain()).toBe('standard');
  });
});
