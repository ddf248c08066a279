/**
 * Everything with a side effect that the layers of guard use comes through
 * Deps, so tests swap parts without module mocks (like gh's
 * `cmdutil.Factory`). This file is only the interface, at the bottom of the
 * house; the real wiring is `systemDeps()` in system-deps.ts, next to the
 * entry points. A lower layer that must say something to a higher one (an
 * audit line) does it through Deps, never by importing it.
 */
import type { Keychain } from './keychain/keychain.ts';
import { escapeControl } from './util/text.ts';

/** Audit event names (SPEC §7, `policy_rejected` of the central policy, the approvals of §11, `offline_allowed` of docs/outage.md). */
export const AUDIT_EVENT_NAMES = [
  'login', 'login_failed', 'step_up', 'refresh', 'session_expired', 'allowed', 'denied',
  'command_exit', 'logout', 'config_untrusted', 'policy_rejected',
  'approval_requested', 'approval_granted', 'approval_denied', 'offline_allowed',
] as const;
export type AuditEventName = (typeof AUDIT_EVENT_NAMES)[number];

/** The fields of an audit line besides `ts`, `event` and `version`. */
export interface AuditFields {
  profile?: string;
  tier?: string;
  rules?: string[];
  command?: string;
  reason?: string;
  exit_code?: number;
  signal?: string;
  duration_ms?: number;
  session_id?: string;
  /** SPEC §16: the session's person (readable name, else subject); filled in by the audit wiring when absent. */
  user?: string | null;
  argv?: string[];
  [extra: string]: unknown;
}

/** The merged configuration's `audit:` settings (SPEC §7, §16; docs/monitoring.md, docs/team-loop.md). */
export interface AuditSettings {
  argv?: boolean;
  max_bytes?: number;
  secret_patterns?: string[];
  /** `audit.ship.otlp`: an OTLP/HTTP collector URL. */
  otlp?: string;
  /** `audit.syslog`: `unix:PATH`, `udp://HOST:PORT` or `tcp://HOST:PORT` (`true` is `unix:/dev/log`). */
  syslog?: string;
}

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
  /** Logs one audit event (SPEC §7); never fails the command (a problem is said with --verbose). */
  audit(event: AuditEventName, fields: AuditFields): void;
  /** The merged config's audit settings (size cap, OTLP shipping), once it is loaded. */
  configureAudit(settings: AuditSettings): void;
  verbose: boolean;
  quiet: boolean;
}

/** A note for people on stderr, unless --quiet; escaped, since it may quote an IdP, a file or argv (SPEC §13). */
export function warn(deps: Pick<Deps, 'io' | 'quiet'>, message: string): void {
  if (!deps.quiet) deps.io.err(`guard: ${escapeControl(message)}\n`);
}

