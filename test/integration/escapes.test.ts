/**
 * SPEC §13 "Nothing from outside reaches the terminal raw": whatever an IdP,
 * a policy document or an untrusted `.guard.yaml` says, guard's stderr
 * (NO_COLOR=1) holds no ESC, BEL, other C0 or C1 control, DEL, or bidi
 * override. Checked on the bytes guard wrote.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { base64url, exportJWK, generateKeyPair } from 'jose';
import { configFor, createSandbox, startGuard, type Sandbox } from '../support/guard.ts';
import { startFakeIdp, type FakeIdp } from '../support/fake-idp.ts';
import { createTestCa, startPolicyServer, type PolicyServer } from '../support/https-server.ts';

/** What a hostile party would send: clear the screen, set the clipboard (OSC 52), a C1 CSI, a bidi override. */
const HOSTILE = '\u001b[2J\u001b]52;c;cm0gLXJmIH4=\u0007\u009b31m\u202eevil\u2066';

let fake: FakeIdp;
let policyServer: PolicyServer;
const ca = createTestCa();
beforeAll(async () => {
  fake = await startFakeIdp();
  policyServer = await startPolicyServer(ca);
});
afterAll(async () => {
  await fake?.stop();
  await policyServer?.stop();
});

interface Raw {
  code: number | null;
  stderr: Buffer;
  text: string;
}

async function guardRaw(args: string[], sandbox: Sandbox, cwd?: string): Promise<Raw> {
  const child = startGuard(args, sandbox.env, { cwd });
  const chunks: Buffer[] = [];
  child.stderr!.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stdout!.resume();
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const stderr = Buffer.concat(chunks);
  return { code, stderr, text: stderr.toString('utf8') };
}

/** No control byte but newline in the bytes, and no C1 or bidi character in the text. */
function expectClean(result: Raw): void {
  const bad = [...result.stderr].filter((byte) => (byte < 0x20 && byte !== 0x0a) || byte === 0x7f);
  expect(bad, result.text).toEqual([]);
  expect(result.text).not.toMatch(/[\u0080-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
}

function sandboxFor(issuer = fake.issuer): Sandbox {
  const sandbox = createSandbox();
  sandbox.env.GUARD_HTTP_TIMEOUT = '2';
  sandbox.writeConfig(configFor(sandbox, issuer));
  return sandbox;
}

describe('escapes what others wrote', () => {
  it('a hostile IdP error value', async () => {
    fake.set('token', (x) => x.json(400, { error: HOSTILE, error_description: HOSTILE }));
    const result = await guardRaw(['login'], sandboxFor());
    fake.reset();
    expect(result.code, result.text).toBe(69);
    expect(result.text).toMatch(/^guard: the identity provider rejected .*\\x1b\[2J\\x1b\]52/m);
    expectClean(result);
  });

  it('a hostile JWS alg in the central policy', async () => {
    const sandbox = sandboxFor('https://idp.example.invalid');
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    writeFileSync(sandbox.env.GUARD_SYSTEM_POLICY!, `version: 1\npolicy_url: ${policyServer.url}\npolicy_keys: ${JSON.stringify([jwk])}\n`);
    sandbox.env.NODE_EXTRA_CA_CERTS = ca.caFile;
    const payload = base64url.encode(JSON.stringify({ version: 1, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 }));
    policyServer.setDocument(`${base64url.encode(JSON.stringify({ alg: HOSTILE, kid: HOSTILE }))}.${payload}.${base64url.encode('sig')}`);
    const result = await guardRaw(['policy', 'pull'], sandbox);
    expect(result.code, result.text).toBe(69);
    expect(result.text).toContain('\\x1b]52');
    expectClean(result);
  });

  it('a hostile YAML key and value in an untrusted .guard.yaml: config check, trust, and the path itself', async () => {
    const sandbox = sandboxFor();
    const dir = join(sandbox.dir, 'repo\u001b[2J\u202e');
    mkdirSync(dir);
    writeFileSync(join(dir, '.guard.yaml'), 'version: 1\n"\\e]52;c;cm0gLXJmIH4=\\a\\x9b\\u202e": 1\n');
    const checked = await guardRaw(['config', 'check', '.guard.yaml'], sandbox, dir);
    expect(checked.code, checked.text).toBe(78);
    expect(checked.text).toContain('unknown key "\\x1b]52;c;cm0gLXJmIH4=\\x07\\x9b\\u{202e}"');
    expectClean(checked);

    const trusted = await guardRaw(['trust'], sandbox, dir);
    expect(trusted.code, trusted.text).toBe(78);
    expectClean(trusted);

    const all = await guardRaw(['config', 'check'], sandbox, dir);
    expect(all.text).toMatch(/ignoring .*repo\\x1b\[2J\\u\{202e\}\/\.guard\.yaml: it is not trusted/);
    expectClean(all);

    // A valid file with hostile values: trust shows them escaped.
    writeFileSync(join(dir, '.guard.yaml'), 'version: 1\nrules:\n  - { match: "x\\e[2J", tier: "t\\a", name: "\\u202en" }\ncommands:\n  "b\\x9b":\n    run: ["./\\e]52;c;eA==\\a"]\n');
    const described = await guardRaw(['trust'], sandbox, dir);
    expect(described.code, described.text).toBe(0);
    expect(described.text).toContain('add rule     "x\\x1b[2J" → tier t\\x07');
    expectClean(described);
  });
});
