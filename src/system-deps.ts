/**
 * The real wiring of Deps (like gh's `factory.New`): the process's streams
 * and environment, the OS keychain, the audit log. Only entry points
 * (main.ts, cli.ts) import it; every other file gets Deps passed in.
 */
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { isatty } from 'node:tty';
import { buildEvent } from './audit/event.ts';
import { writeAuditEvent } from './audit/log.ts';
import { ETC_POLICY, type AuditFields, type AuditSettings, type Deps, type Paths } from './deps.ts';
import type { Keychain } from './keychain/keychain.ts';
import { createOsKeychain } from './keychain/os-keychain.ts';
import { colorEnabled } from './ui/style.ts';
import { escapeControl } from './util/text.ts';
import { stateDirFor } from './util/paths.ts';
import { auditUserOf } from './session/audit-user.ts';

/** The fields SPEC §7 puts on every audit line, null where they do not apply. */
const EVERY_LINE = { profile: null, tier: null, rules: [], command: null } as const;

let host: string | undefined;
/** SPEC §16: the host name on every line (read once: uname(2) does not change under a running guard). */
function hostName(): string {
  return (host ??= hostname());
}

export function resolvePaths(env: NodeJS.ProcessEnv, configFlag?: string): Paths {
  const home = env.HOME || homedir();
  const configHome = env.XDG_CONFIG_HOME || join(home, '.config');
  return {
    stateDir: stateDirFor(env),
    userConfig: configFlag || env.GUARD_CONFIG || join(configHome, 'guard', 'config.yaml'),
    systemPolicy: env.GUARD_SYSTEM_POLICY || ETC_POLICY,
    etcPolicy: ETC_POLICY,
  };
}

export function systemDeps(options: { configFlag?: string; verbose?: boolean; quiet?: boolean } = {}): Deps {
  const env = process.env;
  // isatty(), not process.stdin.isTTY: touching process.std* builds a stream (~2 ms on the hot path).
  const stderrIsTTY = isatty(2);
  let keychain: Promise<Keychain> | undefined;
  let auditSettings: AuditSettings = {};
  const paths = resolvePaths(env, options.configFlag);
  const deps: Deps = {
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
    paths,
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
    audit: (event, fields) => {
      // A live session's lines carry their user (sessionFields); the others look it up in the state folder.
      const { user: given, ...rest } = fields;
      const user = given !== undefined ? given : auditUserOf(paths.stateDir, typeof fields.profile === 'string' ? fields.profile : undefined);
      const line = buildEvent(event, { ...EVERY_LINE, user, host: hostName(), ...rest } as AuditFields, deps.now());
      const problem = writeAuditEvent(paths.stateDir, line, auditSettings, env);
      if (problem && deps.verbose) deps.io.err(`guard: warning: ${escapeControl(problem)}\n`);
    },
    configureAudit: (settings) => {
      auditSettings = settings;
    },
    verbose: options.verbose ?? false,
    quiet: options.quiet ?? false,
  };
  return deps;
}
