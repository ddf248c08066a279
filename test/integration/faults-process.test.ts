/**
 * Process faults: guard killed (SIGKILL) during a refresh, a login or a
 * state write must not lose the session or leave a lock that blocks the
 * next run; a child that ignores SIGTERM or dies by a signal; 50 MB of
 * output streamed without guard holding it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFor, collect, createSandbox, login, runGuard, runWithApproval, startGuard, type Sandbox } from '../support/guard.ts';
import { startFakeIdp } from '../support/fake-idp.ts';
import { startIdp } from '../support/idp.ts';
import { deadPid, snapshotSession, stateFile } from '../support/session-snapshot.ts';
// @ts-expect-error: plain ESM helper shared with the demo and the benchmark
import { findVerificationUrl } from '../../scripts/lib/approve.mjs';
import { parseState } from '../../src/session/state.ts';
import { useServer } from '../support/use-server.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean, timeout = 20_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const sessionsDir = (sandbox: Sandbox) => join(sandbox.stateDir, 'sessions');
const debris = (sandbox: Sandbox) => readdirSync(sessionsDir(sandbox)).filter((name) => /\.(lock|tmp)$|\.stale-/.test(name));

const idp = useServer(() => startIdp());
const fake = useServer(() => startFakeIdp());

function sandboxFor(issuer: string): Sandbox & { marker: string } {
  const sandbox = createSandbox();
  sandbox.writeConfig(configFor(sandbox, issuer));
  return { ...sandbox, marker: join(sandbox.dir, 'ran') };
}

describe('guard killed with SIGKILL', () => {
  it('during a refresh: the next run breaks the dead lock, refreshes and runs; nothing is lost', async () => {
    const sandbox = sandboxFor(fake.issuer);
    fake.accessTtl = 1; // already due for refresh when stored
    expect((await runGuard(['login'], sandbox.env)).code).toBe(0);
    fake.accessTtl = 600;
    const before = await snapshotSession(sandbox);

    fake.set('token', (x) => x.hang());
    const refreshes = () => fake.requests.filter((r) => r.endpoint === 'token' && r.form.get('grant_type') === 'refresh_token').length;
    const from = refreshes();
    const child = startGuard(['run', '--no-prompt', '--', 'touch', sandbox.marker], { ...sandbox.env, GUARD_HTTP_TIMEOUT: '30' });
    const done = collect(child);
    await until('the refresh request', () => refreshes() > from);
    const lock = join(sessionsDir(sandbox), `${sandbox.profile}.refresh.lock`);
    expect(readFileSync(lock, 'utf8').split(' ')[0]).toBe(String(child.pid));
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    expect(existsSync(lock)).toBe(true); // left behind by the dead process
    expect(existsSync(sandbox.marker)).toBe(false);
    expect(await snapshotSession(sandbox)).toEqual(before);

    fake.reset();
    const next = await runGuard(['run', '--no-prompt', '--', 'touch', sandbox.marker], sandbox.env);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toBe('');
    expect(existsSync(sandbox.marker)).toBe(true);
    const after = await snapshotSession(sandbox);
    expect(JSON.parse(after.keychain!).refresh_token).not.toBe(JSON.parse(before.keychain!).refresh_token);
    expect(debris(sandbox)).toEqual([]);
  });

  it('during a login: the old session still works, and the next sign-in is not blocked by the dead one', async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, idp.issuer, { tiers: '  standard: { idle: 45m, max_session: 12h }\n  privileged: { idle: 15m, max_session: 8h, reauth_within: 10m }' }));
    const marker = join(sandbox.dir, 'ran');
    await login(sandbox);
    // The privileged tier wants an authentication within 10 min: pretend it was an hour ago.
    const state = JSON.parse(readFileSync(stateFile(sandbox), 'utf8'));
    writeFileSync(stateFile(sandbox), JSON.stringify({ ...state, auth_time: Date.now() - 3_600_000 }), { mode: 0o600 });
    const before = await snapshotSession(sandbox);

    const killWhileWaiting = async (args: string[], lockExpected: boolean) => {
      const child = startGuard(args, sandbox.env);
      let stderr = '';
      child.stderr!.on('data', (chunk) => (stderr += chunk));
      const done = collect(child);
      await until('the verification URL', () => Boolean(findVerificationUrl(stderr)));
      expect(existsSync(join(sessionsDir(sandbox), `${sandbox.profile}.login.lock`))).toBe(lockExpected);
      child.kill('SIGKILL');
      await done;
    };
    await killWhileWaiting(['login', '--step-up'], false); // an explicit login takes no lock
    await killWhileWaiting(['run', '--prompt', '--tier', 'privileged', '--', 'touch', marker], true); // an inline step-up does
    expect(await snapshotSession(sandbox)).toEqual(before);
    expect(existsSync(marker)).toBe(false);

    // The old session still serves the standard tier…
    expect((await runGuard(['run', '--no-prompt', '--', 'true'], sandbox.env)).code).toBe(0);
    // …and the next inline sign-in breaks the dead process's lock at once instead of waiting for it.
    const again = await runWithApproval(['run', '--prompt', '--tier', 'privileged', '--', 'touch', marker], sandbox.env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('another guard process is signing in');
    expect(existsSync(marker)).toBe(true);
    expect(debris(sandbox)).toEqual([]);
    await runGuard(['logout'], sandbox.env);
  });

  it('killed inside the state write (the kill lands while the state lock is held): the state file is never torn, and the next run proceeds', async () => {
    const sandbox = sandboxFor(idp.issuer);
    await login(sandbox);
    const dir = sessionsDir(sandbox);
    // Kill the moment the state lock appears (inotify), and count the kills that provably landed
    // while guard held it, reading and rewriting the state: they leave the lock behind.
    const stateLock = `${sandbox.profile}.state.lock`;
    let inWrite = 0;
    let attempts = 0;
    for (; attempts < 60 && inWrite < 3; attempts++) {
      const child = startGuard(['run', '--', 'true'], sandbox.env);
      const done = collect(child);
      const watcher = watch(dir, (_event, name) => {
        if (name === stateLock) child.kill('SIGKILL');
      });
      const result = await done;
      watcher.close();
      const left = debris(sandbox);
      if (result.signal === 'SIGKILL' && left.includes(stateLock)) inWrite += 1;
      const state = parseState(readFileSync(stateFile(sandbox), 'utf8'), sandbox.profile);
      expect(state, `after attempt #${attempts} (left: ${left.join(', ')})`).toBeDefined();
    }
    console.info(`state-write kills: ${inWrite} of ${attempts} runs were killed holding the state lock`);
    expect(inWrite).toBeGreaterThan(0);
    const next = await runGuard(['run', '--no-prompt', '--', 'touch', sandbox.marker], sandbox.env);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toBe('');
    expect(debris(sandbox).filter((name) => name.endsWith('.lock'))).toEqual([]);
    await runGuard(['logout'], sandbox.env);
  });

  it('leftovers of a crash (a half-written temp file, an empty old lock, a lock whose pid was reused) do not block or corrupt the next run', async () => {
    const sandbox = sandboxFor(idp.issuer);
    await login(sandbox);
    // The access token is due, so the next run needs the state lock and the refresh lock.
    const before = JSON.stringify({ ...JSON.parse(readFileSync(stateFile(sandbox), 'utf8')), access_expires_at: 0 });
    writeFileSync(stateFile(sandbox), before, { mode: 0o600 });
    const tokensBefore = (await snapshotSession(sandbox)).keychain!;
    const dir = sessionsDir(sandbox);
    const dead = deadPid();
    writeFileSync(join(dir, `${sandbox.profile}.json.${dead}.0badf00d.tmp`), before.slice(0, 40), { mode: 0o600 });
    // An empty state lock (an older guard killed between create and write), old enough to be stale.
    const stateLock = join(dir, `${sandbox.profile}.state.lock`);
    writeFileSync(stateLock, '', { mode: 0o600 });
    utimesSync(stateLock, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    // pid 1 is alive, but its start time is not this lock's: a reused pid, not the owner.
    writeFileSync(join(dir, `${sandbox.profile}.refresh.lock`), '1 999999999 bbbbbbbbbbbb', { mode: 0o600 });

    const ran = await runGuard(['run', '--no-prompt', '--', 'touch', sandbox.marker], sandbox.env);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toBe('');
    expect(existsSync(sandbox.marker)).toBe(true);
    const after = parseState(readFileSync(stateFile(sandbox), 'utf8'), sandbox.profile)!;
    expect(after.session_id).toBe(JSON.parse(before).session_id);
    expect(after.last_activity).toBeGreaterThan(JSON.parse(before).last_activity);
    expect(after.access_expires_at).toBeGreaterThan(Date.now());
    expect(JSON.parse((await snapshotSession(sandbox)).keychain!).refresh_token).not.toBe(JSON.parse(tokensBefore).refresh_token);
    expect(existsSync(join(dir, `${sandbox.profile}.state.lock`))).toBe(false);
    expect(existsSync(join(dir, `${sandbox.profile}.refresh.lock`))).toBe(false);
    await runGuard(['logout'], sandbox.env);
  });
});

describe('the wrapped command', () => {
  let sandbox: ReturnType<typeof sandboxFor>;
  beforeAll(async () => {
    sandbox = sandboxFor(idp.issuer);
    await login(sandbox);
  });
  afterAll(async () => {
    await runGuard(['logout'], sandbox.env);
  });

  it('ignoring SIGTERM: guard forwards every SIGTERM, stays with its child, and exits with its code', async () => {
    const script = "let n = 0; process.on('SIGTERM', () => console.log(`ignored TERM ${++n}`)); process.on('SIGINT', () => process.exit(42)); console.log('ready'); setInterval(() => {}, 1000);";
    const child = startGuard(['run', '--', process.execPath, '-e', script], sandbox.env);
    let stdout = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    const done = collect(child);
    await until('the child', () => stdout.includes('ready'));
    child.kill('SIGTERM');
    await until('the first SIGTERM to reach the child', () => stdout.includes('ignored TERM 1'));
    child.kill('SIGTERM');
    await until('the second SIGTERM to reach the child', () => stdout.includes('ignored TERM 2'));
    expect(child.exitCode).toBeNull(); // guard did not give up on its child
    child.kill('SIGINT');
    expect(await done).toMatchObject({ code: 42 });
  });

  it.each([
    ['SIGKILL', 137],
    ['SIGSEGV', 139],
    ['SIGABRT', 134],
  ])('dying by %s → 128+N, recorded in the audit log', async (signal, code) => {
    const result = await runGuard(['run', '--', 'sh', '-c', `ulimit -c 0; kill -${signal.slice(3)} $$`], sandbox.env);
    expect(result.code).toBe(code);
    expect(result.stderr).toBe('');
    const audit = readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(audit.at(-1)).toMatchObject({ event: 'command_exit', exit_code: code, signal });
  });

  it('streams 50 MB of output: the consumer has it all while the child still runs, and guard never holds it', async () => {
    const go = join(sandbox.dir, 'go');
    const total = 50_000_000;
    const child = startGuard(['run', '--', 'sh', '-c', `head -c ${total} /dev/zero; while [ ! -e "${go}" ]; do sleep 0.05; done; echo done >&2`], sandbox.env);
    let received = 0;
    child.stdout!.on('data', (chunk: Buffer) => (received += chunk.length));
    const done = collect(child);
    // If guard buffered the output, nothing (or not all) would arrive before the child exits: it waits for us.
    await until('50 MB through guard', () => received >= total, 30_000);
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const peakKb = Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]);
    expect(peakKb).toBeLessThan(150 * 1024); // a Node process alone is ~50 MB; holding the output would be 50 MB more at least
    mkdirSync(go);
    const result = await done;
    expect(result.code).toBe(0);
    expect(received).toBe(total);
    expect(result.stderr).toBe('done\n');
  });
});
