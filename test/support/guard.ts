/**
 * Drives the built guard (bin/guard, or the compiled binary) as a real process, with its own config and
 * state folder, against the real IdP and the real Secret Service (tests run
 * inside scripts/with-keyring.sh).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: plain ESM helper shared with the demo and the benchmark
import { approveDevice, findVerificationUrl } from '../../scripts/lib/approve.mjs';

/**
 * The guard every test starts: the Node entry (bin/guard), or the compiled
 * binary when GUARD_TEST_BINARY names it (`npm run test:binary`, issue 26):
 * the same tests prove the same behaviour.
 */
export const GUARD_BIN = guardUnderTest(process.env.GUARD_TEST_BINARY);

function guardUnderTest(binary: string | undefined): string {
  if (!binary) return fileURLToPath(new URL('../../bin/guard', import.meta.url));
  const path = resolve(fileURLToPath(new URL('../..', import.meta.url)), binary);
  if (!existsSync(path)) throw new Error(`GUARD_TEST_BINARY=${binary}: no such file (npm run build:binary first)`);
  return path;
}

export interface GuardResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Sandbox {
  dir: string;
  stateDir: string;
  configPath: string;
  profile: string;
  env: NodeJS.ProcessEnv;
  writeConfig(yaml: string): void;
}

let counter = 0;

/** A fresh config + state folder and a profile name unique to this test (the keychain is shared). */
export function createSandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'guard-test-'));
  const stateDir = join(dir, 'state');
  const configPath = join(dir, 'config.yaml');
  const profile = `t${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS,
    XDG_DATA_HOME: process.env.XDG_DATA_HOME,
    GUARD_CONFIG: configPath,
    GUARD_STATE_DIR: stateDir,
    GUARD_SYSTEM_POLICY: join(dir, 'no-system-policy.yaml'),
    GUARD_PROFILE: profile,
    GUARD_POLL_INTERVAL: '0.2',
    GUARD_HTTP_TIMEOUT: '5',
    NO_COLOR: '1',
  };
  return { dir, stateDir, configPath, profile, env, writeConfig: (yaml) => writeFileSync(configPath, yaml) };
}

export interface ConfigOptions {
  tiers?: string;
  rules?: string;
  commands?: string;
  extra?: string;
  defaultTier?: string;
  scopes?: string[];
  profileExtra?: string;
}

/** A config with one profile pointing at the IdP. */
export function configFor(sandbox: Sandbox, issuer: string, options: ConfigOptions = {}): string {
  const scopes = options.scopes ?? ['openid', 'profile', 'offline_access'];
  return [
    'version: 1',
    'profiles:',
    `  ${sandbox.profile}:`,
    `    issuer: ${issuer}`,
    '    client_id: guard-cli',
    `    scopes: [${scopes.join(', ')}]`,
    ...(options.profileExtra ? [options.profileExtra] : []),
    'tiers:',
    options.tiers ?? '  standard: { idle: 45m, max_session: 12h }',
    `default_tier: ${options.defaultTier ?? 'standard'}`,
    ...(options.rules ? ['rules:', options.rules] : []),
    ...(options.commands ? ['commands:', options.commands] : []),
    ...(options.extra ? [options.extra] : []),
    '',
  ].join('\n');
}

/**
 * Starts guard in a session of its own (setsid): it has no controlling
 * terminal, as in CI, even when the tests run from one — guard asks its
 * questions on /dev/tty, and a test's guard must never ask the developer.
 * Tests that want a terminal use TmuxPane.
 */
export function startGuard(args: string[], env: NodeJS.ProcessEnv, options: { cwd?: string; stdin?: 'ignore' | 'pipe' } = {}): ChildProcess {
  return spawn(GUARD_BIN, args, { env, cwd: options.cwd, detached: true, stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'] });
}

export function collect(child: ChildProcess, onStderr?: (text: string) => void): Promise<GuardResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
    onStderr?.(stderr);
  });
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

export function runGuard(args: string[], env: NodeJS.ProcessEnv, options: { cwd?: string } = {}): Promise<GuardResult> {
  return collect(startGuard(args, env, options));
}

/**
 * Runs guard like runGuard, where no sign-in may start: a device code on
 * stderr ends it at once (rather than after the code's lifetime), and
 * `signInStarted` says so.
 */
export async function runGuardNoSignIn(args: string[], env: NodeJS.ProcessEnv): Promise<GuardResult & { signInStarted: boolean }> {
  const child = startGuard(args, env);
  let signInStarted = false;
  const result = await collect(child, (stderr) => {
    if (signInStarted || !findVerificationUrl(stderr)) return;
    signInStarted = true;
    child.kill('SIGTERM');
  });
  return { ...result, signInStarted };
}

export interface ApproveOptions {
  login?: string;
  deny?: boolean;
  jar?: Map<string, string>;
  /** Do not approve: let the code expire. */
  skip?: boolean;
}

/**
 * Runs guard (a login, or a command that will sign in inline with --prompt),
 * approves the device code it prints over HTTP, and returns its result.
 */
export async function runWithApproval(args: string[], env: NodeJS.ProcessEnv, approve: ApproveOptions = {}, options: { cwd?: string } = {}): Promise<GuardResult & { url?: string }> {
  const child = startGuard(args, env, options);
  let url: string | undefined;
  let approval: Promise<unknown> | undefined;
  const result = await collect(child, (stderr) => {
    if (url || approve.skip) return;
    url = findVerificationUrl(stderr);
    if (url) approval = approveDevice(url, { login: approve.login, deny: approve.deny, jar: approve.jar });
  });
  await approval;
  return { ...result, url };
}

export async function login(sandbox: Sandbox, approve: ApproveOptions = {}): Promise<GuardResult> {
  const result = await runWithApproval(['login'], sandbox.env, approve);
  if (result.code !== 0) throw new Error(`login failed (${result.code}): ${result.stderr}`);
  return result;
}
