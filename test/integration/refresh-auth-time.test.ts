/**
 * SPEC §13 "auth_time moves only by authentication": an IdP of the tests'
 * own (test/support/fake-idp.ts) stamps auth_time = now on every refreshed
 * ID token. A refresh must not satisfy a step-up.
 */
import { expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFor, createSandbox, runGuard } from '../support/guard.ts';
import { startFakeIdp } from '../support/fake-idp.ts';
import { stateFile } from '../support/session-snapshot.ts';
import { useServer } from '../support/use-server.ts';

const fake = useServer(() => startFakeIdp());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const authTime = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { auth_time: number }).auth_time;

it('a refreshed ID token never moves auth_time forward (no step-up by refresh)', async () => {
  const sandbox = createSandbox();
  sandbox.writeConfig(
    configFor(sandbox, fake.issuer, {
      tiers: ['  standard: { idle: 45m, max_session: 12h }', '  privileged: { idle: 15m, max_session: 8h, reauth_within: 10m }'].join('\n'),
      rules: '  - { match: "touch **", tier: privileged }',
    }),
  );
  // Signed in 20 minutes ago as far as the IdP is concerned; the access token is due at once.
  fake.accessTtl = 1;
  fake.authTime = Math.floor(Date.now() / 1000) - 20 * 60;
  expect((await runGuard(['login'], sandbox.env)).code).toBe(0);
  const before = authTime(stateFile(sandbox));
  fake.authTime = undefined; // from now on: auth_time = now in every ID token, refreshes included
  fake.accessTtl = 600;
  await sleep(1_100);

  const refreshed = await runGuard(['run', '--no-prompt', '--', 'true'], sandbox.env);
  expect(refreshed.code, refreshed.stderr).toBe(0);
  expect(fake.requests.filter((r) => r.endpoint === 'token' && r.form.get('grant_type') === 'refresh_token')).toHaveLength(1);
  expect(authTime(stateFile(sandbox))).toBe(before);

  const marker = join(sandbox.dir, 'ran');
  const privileged = await runGuard(['run', '--no-prompt', '--', 'touch', marker], sandbox.env);
  expect(privileged.code, privileged.stderr).toBe(77);
  expect(privileged.stderr).toMatch(/^guard: step-up required/m);
  expect(existsSync(marker)).toBe(false);
});
