#!/usr/bin/env node
// `npm run demo [-- --auto-approve]`: starts the local development OpenID
// provider on 127.0.0.1, points guard at it through a temporary config, and
// runs a guarded command. guard prints a URL and a code: open the URL in a
// browser, sign in with any name and any password, approve, and the command
// runs. With --auto-approve the demo approves the code itself over HTTP.
// Without it guard owns the terminal (QR code, countdown, browser), as for a
// real user. Where the tokens go is the demo's own, explicit choice
// (scripts/lib/demo-store.mjs), said in one line.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { approveDevice, findVerificationUrl } from './lib/approve.mjs';
import { chooseDemoStore } from './lib/demo-store.mjs';
import { spawnDevIdp } from './lib/keyring-session.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const autoApprove = process.argv.includes('--auto-approve');

const { store, says } = await chooseDemoStore(import.meta.url);
const { issuer, child: idp } = await spawnDevIdp(spawn);

const dir = mkdtempSync(join(tmpdir(), 'guard-demo-'));
const config = join(dir, 'config.yaml');
writeFileSync(
  config,
  `# guard demo configuration (temporary)
version: 1
profiles:
  demo:
    issuer: ${issuer}
    client_id: guard-cli
    scopes: [openid, profile, email, offline_access]
${store ? `    store: ${store}\n` : ''}tiers:
  privileged: { idle: 15m, max_session: 8h, reauth_within: 10m }
  standard:   { idle: 45m, max_session: 12h }
default_tier: standard
rules:
  - name: prod-deploy
    match: "** --env=prod"
    tier: privileged
`,
);
const env = { ...process.env, GUARD_CONFIG: config, GUARD_STATE_DIR: join(dir, 'state'), GUARD_PROFILE: 'demo', GUARD_POLL_INTERVAL: '1' };
const guard = join(root, 'bin/guard');

console.error(`demo: development IdP at ${issuer}; config at ${config}`);
console.error(`demo: ${says}`);
console.error(autoApprove ? 'demo: approving the sign-in automatically (--auto-approve)\n' : 'demo: open the URL below, sign in with any name and password, and approve\n');
// Interactive: guard owns the terminal. --auto-approve reads the URL from guard's stderr (and passes it on).
const run = spawn(guard, ['run', '--prompt', '--', process.execPath, '-e', "console.log('✔ the guarded command ran')"], { env, stdio: ['inherit', 'inherit', autoApprove ? 'pipe' : 'inherit'] });
// Ctrl-C reaches guard too: it cancels (130) and the demo still cleans up.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => undefined);
let stderr = '';
let approval;
run.stderr?.on('data', (chunk) => {
  process.stderr.write(chunk);
  stderr += chunk;
  const url = !approval && findVerificationUrl(stderr);
  if (url) approval = approveDevice(url, { login: 'demo-user' });
});
const code = await new Promise((resolve) => run.once('close', (c) => resolve(c ?? 1)));
if (approval) await approval;
if (code === 0) {
  spawnSync(guard, ['status'], { env, stdio: 'inherit' });
  spawnSync(guard, ['logout'], { env, stdio: 'inherit' });
}
idp.kill('SIGTERM');
rmSync(dir, { recursive: true, force: true });
console.error(code === 0 ? '\ndemo: done' : `\ndemo: guard exited with ${code}`);
process.exit(code);
