/**
 * `guard NAME --help` for a named command (issue 23): the command's help
 * (description, what it runs, its tier and `when` escalations, the
 * variables it injects by name only), and nothing runs — on the fast path
 * and through commander alike. `guard NAME -- --help` passes `--help` on.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFor, createSandbox, login, runGuard, type Sandbox } from '../support/guard.ts';
import { startIdp } from '../support/idp.ts';
import { useServer } from '../support/use-server.ts';

const idp = useServer(() => startIdp());

describe('a named command\'s --help', () => {
  let sandbox: Sandbox;
  let marker: string;
  beforeAll(async () => {
    sandbox = createSandbox();
    marker = join(sandbox.dir, 'deploy-args');
    sandbox.writeConfig(
      configFor(sandbox, idp.issuer, {
        tiers: ['  standard: { idle: 45m, max_session: 12h }', '  privileged: { idle: 15m, max_session: 8h, offline_grace: 1h }'].join('\n'),
        commands: [
          '  deploy:',
          // The script records its arguments and whether a token reached it.
          `    run: ["sh", "-c", "printf '%s|' \\"$@\\" > ${marker}; [ -n \\"$TOKEN\\" ] && echo token >> ${marker}", "deploy", "{args}"]`,
          '    description: Deploy the service',
          '    tier: standard',
          '    when: { "deploy prod": privileged }',
          '    env: { TOKEN: "{access_token}", REGION: "eu-1" }',
        ].join('\n'),
      }),
    );
    await login(sandbox);
  });
  afterAll(async () => {
    await runGuard(['logout'], sandbox.env);
  });

  it.each([
    ['guard deploy --help (the fast path)', ['deploy', '--help']],
    ['guard deploy -h', ['deploy', '-h']],
    ['guard --quiet deploy --help', ['--quiet', 'deploy', '--help']],
    ['guard --json deploy --help (commander)', ['--json', 'deploy', '--help']],
    ['guard help deploy (commander)', ['help', 'deploy']],
  ])('%s shows the help and runs nothing', async (_name, args) => {
    const result = await runGuard(args, sandbox.env);
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(marker)).toBe(false);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('Usage: guard deploy [ARGS…]');
    expect(lines).toContain('Deploy the service');
    expect(lines).toContain(`Runs:     sh -c ${JSON.stringify(`printf '%s|' "$@" > ${marker}; [ -n "$TOKEN" ] && echo token >> ${marker}`)} deploy {args}`);
    expect(lines).toContain('Tier:     standard (idle 45m, max_session 12h)');
    expect(lines).toContain('When:     "deploy prod" → privileged (idle 15m, max_session 8h, offline_grace 1h)');
    expect(lines).toContain('Injects:  TOKEN (a token), REGION');
    expect(result.stdout).not.toContain('eu-1'); // names only
    expect(lines).toContain('To pass --help to the command itself: guard deploy -- --help');
  });

  it('guard deploy -- --help passes --help to the script (with its token, as any run)', async () => {
    const result = await runGuard(['deploy', '--', '--help'], sandbox.env);
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(marker, 'utf8')).toBe('--help|token\n');
  });

  it('a -- before the arguments does not sidestep a when escalation: guard deploy -- prod is privileged', async () => {
    const explained = await runGuard(['explain', '--json', '--', 'deploy', '--', 'prod'], sandbox.env);
    expect(JSON.parse(explained.stdout)).toMatchObject({ named_command: 'deploy', tier: 'privileged' });
    await runGuard(['deploy', '--', 'prod'], sandbox.env);
    const events = readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.filter((e) => e.event === 'allowed').at(-1)).toMatchObject({ command: 'deploy', tier: 'privileged' });
  });

  it('--help later among the arguments is the command\'s own', async () => {
    const result = await runGuard(['deploy', 'staging', '--help'], sandbox.env);
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(marker, 'utf8')).toBe('staging|--help|token\n');
  });
});
