/**
 * Local faults (SPEC §6, §8 "State files"): damaged, hostile or
 * unwritable state, a clock that moved back, a full disk, a locked,
 * missing or corrupt keychain, an unreadable config. Guard fails closed
 * with one clear line and never runs the command on doubt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startIdp } from '../support/idp.ts';
import { configFor, createSandbox, GUARD_BIN, login, runGuard, runWithApproval, type GuardResult, type Sandbox } from '../support/guard.ts';
import { deleteKeychain, errorLine, lines, snapshotSession, stateFile, writeKeychainRaw } from '../support/session-snapshot.ts';
import { startPrivateKeyring } from '../support/private-keyring.ts';
import { useServer } from '../support/use-server.ts';

const idp = useServer(() => startIdp());

/** A named command that injects the access token, so the keychain must be read. */
const INJECTING = ['  with-token:', '    run: ["sh", "-c", "test -n \\"$API_TOKEN\\" && touch \\"$MARKER\\""]', '    env: { API_TOKEN: "{access_token}" }'].join('\n');

function sandboxWith(extra: NodeJS.ProcessEnv = {}): Sandbox & { marker: string } {
  const sandbox = createSandbox();
  sandbox.writeConfig(configFor(sandbox, idp.issuer, { commands: INJECTING }));
  const marker = join(sandbox.dir, 'ran');
  Object.assign(sandbox.env, { MARKER: marker }, extra);
  return { ...sandbox, marker };
}

function expectOneLine(result: GuardResult, code: number, message: RegExp): void {
  expect(result.code, result.stderr).toBe(code);
  expect(lines(result.stderr), result.stderr).toHaveLength(1);
  expect(errorLine(result.stderr)).toMatch(message);
}

const runNoPrompt = (sandbox: Sandbox & { marker: string }) => runGuard(['run', '--no-prompt', '--', 'touch', sandbox.marker], sandbox.env);

describe('the state file', () => {
  let sandbox: ReturnType<typeof sandboxWith>;
  let valid: string;
  beforeAll(async () => {
    sandbox = sandboxWith();
    await login(sandbox);
    valid = readFileSync(stateFile(sandbox), 'utf8');
  });
  afterAll(async () => {
    plant(valid);
    await runGuard(['logout'], sandbox.env);
  });

  /** Replaces the state file (whatever is there now, even a symlink) and clears the marker. */
  function plant(content: string | Buffer, mode = 0o600): void {
    rmSync(stateFile(sandbox), { force: true });
    rmSync(sandbox.marker, { force: true });
    writeFileSync(stateFile(sandbox), content, { mode });
    chmodSync(stateFile(sandbox), mode); // the umask may have masked bits off
  }

  const corrupt = /^guard: the session file \S+ is corrupt or from another version; treating it as no session$/;

  it.each<[string, () => string | Buffer]>([
    ['truncated mid-write (half a real file)', () => valid.slice(0, Math.floor(valid.length / 2))],
    ['truncated to zero bytes', () => ''],
    ['random bytes', () => randomBytes(300)],
    ['a NUL-filled block (a crash before the data reached the disk)', () => Buffer.alloc(4096)],
  ])('%s → no session (77), one note, the command not run', async (_name, content) => {
    plant(content());
    const result = await runNoPrompt(sandbox);
    expect(result.code).toBe(77);
    expect(lines(result.stderr)).toEqual([expect.stringMatching(corrupt), expect.stringMatching(/^guard: sign-in required for profile .*no session/)]);
    expect(existsSync(sandbox.marker)).toBe(false);
  });

  it('group-writable → refused and says why (77)', async () => {
    plant(valid, 0o620);
    const result = await runNoPrompt(sandbox);
    expect(result.code).toBe(77);
    expect(lines(result.stderr)[0]).toMatch(/^guard: the session file \S+ is writable by other users, so it is not trusted; treating it as no session/);
    expect(existsSync(sandbox.marker)).toBe(false);
  });

  it('a symlink planted in its place → not followed (77)', async () => {
    const elsewhere = join(sandbox.dir, 'planted.json');
    writeFileSync(elsewhere, valid, { mode: 0o600 });
    plant('');
    rmSync(stateFile(sandbox));
    symlinkSync(elsewhere, stateFile(sandbox));
    const result = await runNoPrompt(sandbox);
    expect(result.code).toBe(77);
    expect(lines(result.stderr)[0]).toMatch(/^guard: the session file \S+ cannot be read \(ELOOP\); treating it as no session/);
    expect(existsSync(sandbox.marker)).toBe(false);
  });

  it("owned by another user → refused (77)", async () => {
    plant(valid);
    chownSync(stateFile(sandbox), 65534, 65534); // tests run as root: plant a file as "nobody"
    const result = await runNoPrompt(sandbox);
    expect(result.code).toBe(77);
    expect(lines(result.stderr)[0]).toMatch(/^guard: the session file \S+ belongs to another user; treating it as no session/);
    expect(existsSync(sandbox.marker)).toBe(false);
  });

  it('a last_activity in the future counts as no activity: the session is dead (77), never clamped to now', async () => {
    const state = JSON.parse(valid);
    const future = { ...state, last_activity: Date.now() + 3_600_000 };
    plant(JSON.stringify(future));
    const result = await runNoPrompt(sandbox);
    expectOneLine(result, 77, /^guard: sign-in required for profile \S+ \(the session expired \(idle\)\); run: guard login/);
    expect(existsSync(sandbox.marker)).toBe(false);
    // Not "repaired" to now: past every idle limit, the session was ended (SPEC §8).
    expect(existsSync(stateFile(sandbox))).toBe(false);
    const events = readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(events.some((e) => e.event === 'session_expired' && e.reason === 'idle')).toBe(true);
  });

  it('a state folder that is a file → no session (77) with a note', async () => {
    const other = sandboxWith();
    writeFileSync(other.stateDir, 'not a folder');
    const result = await runNoPrompt({ ...other, marker: other.marker });
    expect(result.code).toBe(77);
    expect(lines(result.stderr)[0]).toMatch(/^guard: the session file \S+ cannot be read \(ENOTDIR\); treating it as no session/);
    expect(existsSync(other.marker)).toBe(false);
  });
});

describe('a full disk', () => {
  it('a state write that fails (ENOSPC) stops the command (74); the session survives and the next run works at once', async () => {
    const sandbox = sandboxWith();
    await login(sandbox);
    const before = readFileSync(stateFile(sandbox), 'utf8');
    // A private mount namespace with a tiny tmpfs holding a copy of the state folder, filled up.
    const full = join(sandbox.dir, 'full');
    const out = join(sandbox.dir, 'out');
    mkdirSync(full);
    mkdirSync(out);
    const script = [
      'set -u',
      'mount -t tmpfs -o size=256k,mode=0700 tmpfs "$FULL" || exit 90',
      'cp -a "$SRC/." "$FULL/"',
      'cat /dev/zero > "$FULL/filler" 2>/dev/null',
      'GUARD_STATE_DIR="$FULL" "$GUARD" run --no-prompt -- touch "$MARKER" 2>"$OUT/stderr1"; echo $? > "$OUT/rc1"',
      'cp "$FULL/sessions/$PROFILE.json" "$OUT/state1"; ls -A "$FULL/sessions" > "$OUT/listing1"',
      'rm "$FULL/filler"',
      'GUARD_STATE_DIR="$FULL" "$GUARD" run --no-prompt -- touch "$MARKER.2" 2>"$OUT/stderr2"; echo $? > "$OUT/rc2"',
      'ls -A "$FULL/sessions" > "$OUT/listing2"',
    ].join('\n');
    const env = { ...sandbox.env, FULL: full, SRC: sandbox.stateDir, OUT: out, GUARD: GUARD_BIN, PROFILE: sandbox.profile };
    const shell = spawnSync('unshare', ['--mount', 'sh', '-c', script], { env, encoding: 'utf8', timeout: 45_000 });
    expect(shell.status, shell.stderr).toBe(0);
    const read = (name: string) => readFileSync(join(out, name), 'utf8');

    expect(read('rc1').trim()).toBe('74');
    expect(lines(read('stderr1'))).toEqual([expect.stringMatching(/^guard: cannot (write|create the lock file) \S+ \(ENOSPC\); .*free disk space/)]);
    expect(existsSync(sandbox.marker)).toBe(false);
    expect(read('state1')).toBe(before); // the atomic write left the old state whole
    expect(read('listing1').split('\n').filter((name) => /\.(tmp|lock)$/.test(name))).toEqual([]);

    // Space is back: the next run proceeds (no lock left behind to wait on).
    expect(read('rc2').trim()).toBe('0');
    expect(read('stderr2')).toBe('');
    expect(existsSync(`${sandbox.marker}.2`)).toBe(true);
    expect(read('listing2').split('\n').filter((name) => /\.(tmp|lock)$/.test(name))).toEqual([]);
    await runGuard(['logout'], sandbox.env);
  });
});

describe('the keychain', () => {
  it('locked → 69 "is locked" for commands that need the token; the command is not run', async () => {
    const keyring = await startPrivateKeyring();
    try {
      const sandbox = sandboxWith(keyring.env);
      await login(sandbox);
      keyring.lock();
      expect(keyring.locked()).toBe(true);
      const locked = /^guard: cannot read the Secret Service keychain: it is locked; unlock it \(e\.g\. log in to the desktop, or gnome-keyring-daemon --unlock\) and try again$/;
      expectOneLine(await runGuard(['with-token'], sandbox.env), 69, locked);
      expect(existsSync(sandbox.marker)).toBe(false);
      const token = await runGuard(['token'], sandbox.env);
      expectOneLine(token, 69, locked);
      expect(token.stdout).toBe('');
      // A new sign-in cannot be stored either; the stored session stays as it was.
      const before = readFileSync(stateFile(sandbox), 'utf8');
      const relogin = await runWithApproval(['login'], sandbox.env);
      expect(relogin.code).toBe(69);
      expect(errorLine(relogin.stderr)).toMatch(/^guard: cannot (read|write) the Secret Service keychain: it is locked/);
      expect(relogin.url).toBeUndefined(); // refused before a device flow started: nothing to approve in vain
      expect(readFileSync(stateFile(sandbox), 'utf8')).toBe(before);
      // guard lock still ends the local session at once, even though the keychain cannot be cleaned.
      expect((await runGuard(['lock'], sandbox.env)).code).toBe(69);
      expect(existsSync(stateFile(sandbox))).toBe(false);
      expect((await runGuard(['run', '--no-prompt', '--', 'true'], sandbox.env)).code).toBe(77);
    } finally {
      await keyring.stop();
    }
  });

  it('no Secret Service on the bus → 69 before any device flow starts; nothing is run or kept', async () => {
    const bus = await startPrivateKeyring({ secretService: false });
    try {
      const sandbox = sandboxWith(bus.env);
      const noKeychain = /^guard: cannot read the Secret Service keychain: it is not reachable \(no D-Bus session or no Secret Service running\); start one/;
      // An inline sign-in for a command that needs the token, then an explicit login: both approved at the IdP.
      const inline = await runWithApproval(['--prompt', 'with-token'], sandbox.env);
      expect(inline.code).toBe(69);
      expect(errorLine(inline.stderr)).toMatch(noKeychain);
      expect(inline.url).toBeUndefined();
      expect(existsSync(sandbox.marker)).toBe(false);
      const explicit = await runWithApproval(['login'], sandbox.env);
      expect(explicit.code).toBe(69);
      expect(errorLine(explicit.stderr)).toMatch(noKeychain);
      expect(existsSync(stateFile(sandbox))).toBe(false);
      expect((await runGuard(['status'], sandbox.env)).code).toBe(77);
    } finally {
      await bus.stop();
    }
  });

  it('no D-Bus at all → 69 for a session that needs its token; the command is not run', async () => {
    const sandbox = sandboxWith();
    await login(sandbox);
    const broken = { ...sandbox.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(sandbox.dir, 'no-bus')}` };
    expectOneLine(await runGuard(['with-token'], broken), 69, /^guard: cannot read the Secret Service keychain: it is not reachable \(no D-Bus session or no Secret Service running\)/);
    expect(existsSync(sandbox.marker)).toBe(false);
    await runGuard(['logout'], sandbox.env);
  });

  it.each([
    ['garbage', 'garbage'],
    ['JSON without an access token', '{"refresh_token":"x"}'],
    ['truncated JSON', '{"access_token":"abc'],
  ])('an entry holding %s → 77 with what to do; logout then cleans up', async (_name, content) => {
    const sandbox = sandboxWith();
    await login(sandbox);
    await writeKeychainRaw(sandbox.profile, content);
    const corrupt = new RegExp(`^guard: the keychain entry for profile "${sandbox.profile}" is corrupt; run: guard logout --profile \\S+ && guard login --profile \\S+$`);
    expectOneLine(await runGuard(['with-token'], sandbox.env), 77, corrupt);
    expect(existsSync(sandbox.marker)).toBe(false);
    expectOneLine(await runGuard(['token'], sandbox.env), 77, corrupt);
    const out = await runGuard(['logout'], sandbox.env);
    expect(out.code, out.stderr).toBe(0);
    expect(await snapshotSession(sandbox)).toEqual({ state: undefined, keychain: undefined });
  });

  it('an entry deleted behind guard\'s back → sign in again (77), the command not run', async () => {
    const sandbox = sandboxWith();
    await login(sandbox);
    await deleteKeychain(sandbox.profile);
    const result = await runGuard(['with-token', '--no-prompt'], sandbox.env);
    expect(result.code).toBe(77);
    expect(lines(result.stderr)[0]).toMatch(/the keychain has no tokens for profile/);
    expect(existsSync(sandbox.marker)).toBe(false);
    await runGuard(['logout'], sandbox.env);
  });
});

describe('the configuration', () => {
  it.each<[string, (path: string) => void, RegExp]>([
    ['a folder where the file should be', (path) => mkdirSync(path), /^guard: cannot read the configuration file \S+ \(EISDIR\)/],
    ['a symlink loop', (path) => symlinkSync(path, path), /^guard: cannot read the configuration file \S+ \(ELOOP\)/],
    ['binary garbage', (path) => writeFileSync(path, randomBytes(200)), /^guard: invalid configuration: \S+:\d+:\d+: /],
  ])('%s → 78, one line, the command not run', async (_name, plant, message) => {
    const sandbox = sandboxWith();
    rmSync(sandbox.configPath);
    plant(sandbox.configPath);
    const result = await runGuard(['run', '--', 'touch', sandbox.marker], sandbox.env);
    expectOneLine(result, 78, message);
    expect(existsSync(sandbox.marker)).toBe(false);
    expect(readdirSync(sandbox.dir)).not.toContain('ran');
  });
});
