/**
 * Secret hygiene end to end: a whole session's life — login, runs, token
 * injection, refresh, step-up, status, report, a rejected refresh, logout —
 * all with --verbose, then every file guard wrote and everything it printed
 * is searched for every token the IdP issued: zero hits. (`guard token`'s
 * stdout is the one place a token belongs, so only that stream is skipped.)
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startIdp } from '../support/idp.ts';
import { configFor, createSandbox, runGuard, runWithApproval, type GuardResult } from '../support/guard.ts';
import { readKeychain } from '../support/keychain.ts';
import { findSecrets } from '../support/hygiene.ts';
import { useServer } from '../support/use-server.ts';

const idp = useServer(() => startIdp({ accessTtl: 2 }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('secret hygiene', () => {
  it('no token issued during a whole session appears in any file guard wrote or in anything it printed', async () => {
    const sandbox = createSandbox();
    const marker = join(sandbox.dir, 'ran');
    sandbox.writeConfig(
      configFor(sandbox, idp.issuer, {
        tiers: ['  standard: { idle: 45m, max_session: 12h }', '  privileged: { idle: 15m, max_session: 8h, reauth_within: 2s }'].join('\n'),
        commands: ['  with-token:', '    run: ["sh", "-c", "test -n \\"$API_TOKEN\\" && touch \\"$MARKER\\""]', '    env: { API_TOKEN: "{access_token}" }'].join('\n'),
      }),
    );
    const env = { ...sandbox.env, MARKER: marker };
    const outputs: string[] = [];
    const secrets = new Set<string>();
    const remember = async () => {
      const tokens = await readKeychain(sandbox.profile);
      for (const token of [tokens?.access_token, tokens?.refresh_token, tokens?.id_token]) if (token) secrets.add(token);
    };
    const step = async (run: Promise<GuardResult>, expected: number, options: { tokenOnStdout?: boolean } = {}) => {
      const result = await run;
      expect(result.code, result.stderr).toBe(expected);
      outputs.push(result.stderr);
      if (options.tokenOnStdout) secrets.add(result.stdout.trim());
      else outputs.push(result.stdout);
      await remember();
      return result;
    };
    const guard = (args: string[], expected = 0, options: { tokenOnStdout?: boolean } = {}) => step(runGuard(['--verbose', ...args], env), expected, options);

    await step(runWithApproval(['--verbose', 'login'], env), 0);
    await guard(['run', '--', 'true']);
    await guard(['with-token']);
    await guard(['token'], 0, { tokenOnStdout: true });
    await guard(['status', '--json']);
    await guard(['explain', '--', 'true']);
    await sleep(2_200); // the access token expires: the next run refreshes (rotation)
    await guard(['run', '--', 'true']);
    await guard(['with-token']);
    // Step-up (reauth_within 2 s): a new device flow inside the live session.
    await step(runWithApproval(['--verbose', 'run', '--prompt', '--tier', 'privileged', '--', 'true'], env), 0);
    await guard(['touch']);
    await guard(['report', '--json']);
    await guard(['status']);

    // Someone else uses the refresh token (a thief, or a second copy): the IdP rotates it away from guard.
    const stolen = (await readKeychain(sandbox.profile))!.refresh_token!;
    const response = await fetch(`${idp.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: stolen, client_id: 'guard-cli' }),
    });
    const theirs = (await response.json()) as Record<string, string>;
    for (const key of ['access_token', 'refresh_token', 'id_token']) if (theirs[key]) secrets.add(theirs[key]!);
    await sleep(2_200);
    await guard(['run', '--no-prompt', '--', 'true'], 77); // the refresh is rejected: the session ends, guard asks for a login

    await step(runWithApproval(['--verbose', 'login'], env), 0);
    await guard(['lock']);
    await step(runWithApproval(['--verbose', 'login'], env), 0);
    await guard(['logout']);

    expect(secrets.size).toBeGreaterThanOrEqual(12);
    expect(findSecrets([sandbox.dir], outputs, secrets)).toEqual([]);
  });
});
