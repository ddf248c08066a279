/**
 * SPEC §13 "No shell code from arguments": a named command whose `run` is
 * `sh -c SCRIPT` with placeholders. Real bin/guard and /bin/sh; the IdP of
 * the tests' own signs in at once.
 */
import { expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { configFor, createSandbox, runGuard } from '../support/guard.ts';
import { startFakeIdp } from '../support/fake-idp.ts';
import { useServer } from '../support/use-server.ts';

const fake = useServer(() => startFakeIdp());

it("guard logs 'x; touch pwned' runs no code from the argument", async () => {
  const sandbox = createSandbox();
  sandbox.writeConfig(
    configFor(sandbox, fake.issuer, {
      commands: [
        '  logs:',
        '    run: ["sh", "-c", "echo {1} && echo \\"{1}\\" && echo \'{1}\' && echo {env.LOGS_FILTER}"]',
      ].join('\n'),
    }),
  );
  expect((await runGuard(['login'], sandbox.env)).code).toBe(0);
  const hostile = `x; touch ${join(sandbox.dir, 'pwned')}`;
  const env = { ...sandbox.env, LOGS_FILTER: `$(touch ${join(sandbox.dir, 'pwned-env')})` };
  const result = await runGuard(['logs', hostile], env, { cwd: sandbox.dir });
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toBe(`${hostile}\n${hostile}\n${hostile}\n${env.LOGS_FILTER}\n`);
  expect(existsSync(join(sandbox.dir, 'pwned'))).toBe(false);
  expect(existsSync(join(sandbox.dir, 'pwned-env'))).toBe(false);
});

it("config check refuses a placeholder that cannot be passed safely ($'…')", async () => {
  const sandbox = createSandbox();
  sandbox.writeConfig(configFor(sandbox, fake.issuer, { commands: "  logs:\n    run: [bash, -c, \"echo $'{1}'\"]" }));
  const result = await runGuard(['config', 'check'], sandbox.env);
  expect(result.code).toBe(78);
  expect(result.stderr).toMatch(/config\.yaml:\d+:\d+: commands\.logs\.run: \{1\} inside \$'…'/);
});
