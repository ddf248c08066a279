/**
 * guard doctor's git check against the real git: a helper scoped to a URL
 * passes; one for every host (credential.helper) is a warning that names
 * the fix, since git would hand the access token to any https host.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkGitHelper } from '../../src/doctor/check-integrations.ts';

const GUARD_BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'guard');
const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

function gitHome(...settings: Array<[string, string]>): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'guard-doctor-git-'));
  homes.push(home);
  const env = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), GIT_CONFIG_NOSYSTEM: '1' };
  for (const [key, value] of settings) execFileSync('git', ['config', '--global', key, value], { env });
  return env;
}

describe('guard doctor: git credential helper', () => {
  it('passes a helper scoped to one host', async () => {
    const env = gitHome(['credential.https://git.example.com.helper', `!${GUARD_BIN} git-credential`]);
    expect(await checkGitHelper(env, env.HOME!, 5_000)).toEqual([
      { id: 'git', status: 'pass', summary: 'git credential helper credential.https://git.example.com.helper: guard git-credential' },
    ]);
  });

  it('warns about a helper for every host, and says how to scope it', async () => {
    const env = gitHome(['credential.helper', `!${GUARD_BIN} git-credential`]);
    const [result, ...rest] = await checkGitHelper(env, env.HOME!, 5_000);
    expect(rest).toEqual([]);
    expect(result).toMatchObject({ id: 'git', status: 'warn' });
    expect(result!.summary).toMatch(/answers every host git asks about/);
    expect(result!.fix).toMatch(/git config --global --unset credential\.helper; git config --global credential\.https:\/\/\S+\.helper '!guard git-credential'/);
  });
});
