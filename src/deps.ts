/**
 * Everything with a side effect that commands use comes through Deps, so
 * tests swap parts without module mocks (like gh's factory). Building Deps
 * is cheap: heavy parts (keychain, OIDC, prompts) load on first use.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isatty } from 'node:tty';
import type { Keychain } from './keychain/keychain.ts';
import { createOsKeychain } from './keychain/os-keychain.ts';

export interface IO {
  /** Data for scripts: stdout. */
  out(text: string): void;
  /** Messages for people: stderr. */
  err(text: string): void;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  columns: number;
  color: boolean;
}

export interface Paths {
  stateDir: string;
  userConfig: string;
  /** GUARD_SYSTEM_POLICY, else the system policy file: adds a system layer. */
  systemPolicy: string;
  /** /etc/guard/policy.yaml (the default when unset): applies whenever it exists, whatever GUARD_SYSTEM_POLICY says (SPEC §13). Injectable for tests only. */
  etcPolicy?: string;
}

/** The machine's system policy; no environment variable moves or hides it. */
export const ETC_POLICY = '/etc/guard/policy.yaml';

export interface Deps {
  env: NodeJS.ProcessEnv;
  cwd: string;
  io: IO;
  paths: Paths;
  now(): number;
  keychain(): Promise<Keychain>;
  /** A signal that aborts on SIGINT/SIGTERM until disposed (cancelling a wait). */
  interruptible(): { signal: AbortSignal; dispose(): void };
  verbose: boolean;
  quiet: boolean;
}

export function resolvePaths(env: NodeJS.ProcessEnv, configFlag?: string): Paths {
  const home = env.HOME || homedir();
  const stateHome = env.XDG_STATE_HOME || join(home, '.local', 'state');
  const configHome = env.XDG_CONFIG_HOME || join(home, '.config');
  return {
    stateDir: env.GUARD_STATE_DIR || join(stateHome, 'guard'),
    userConfig: configFlag || env.GUARD_CONFIG || join(configHome, 'guard', 'config.yaml'),
    systemPolicy: env.GUARD_SYSTEM_POLICY || ETC_POLICY,
    etcPolicy: ETC_POLICY,
  };
}

/** Colour follows NO_COLOR / FORCE_COLOR and is off when stderr is not a TTY (SPEC §1). */
export function colorEnabled(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return isTTY && env.TERM !== 'dumb';
}

export function systemDeps(options: { configFlag?: string; verbose?: boolean; quiet?: boolean } = {}): Deps {
  const env = process.env;
  // isatty(), not process.stdin.isTTY: touching process.std* builds a stream (~2 ms on the hot path).
  const stderrIsTTY = isatty(2);
  let keychain: Promise<Keychain> | undefined;
  return {
    env,
    cwd: process.cwd(),
    io: {
      out: (text) => void process.stdout.write(text),
      err: (text) => void process.stderr.write(text),
      stdinIsTTY: isatty(0),
      stdoutIsTTY: isatty(1),
      stderrIsTTY,
      get columns() {
        return process.stderr.columns ?? 80;
      },
      color: colorEnabled(env, stderrIsTTY),
    },
    paths: resolvePaths(env, options.configFlag),
    now: () => Date.now(),
    keychain: () => (keychain ??= Promise.resolve().then(createOsKeychain)),
    interruptible: () => {
      const controller = new AbortController();
      const abort = () => controller.abort();
      process.once('SIGINT', abort);
      process.once('SIGTERM', abort);
      return {
        signal: controller.signal,
        dispose: () => {
          process.off('SIGINT', abort);
          process.off('SIGTERM', abort);
        },
      };
    },
    verbose: options.verbose ?? false,
    quiet: options.quiet ?? false,
  };
}
