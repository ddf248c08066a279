/**
 * Audit events (SPEC §7): one JSON object a line, no secrets. Argv is
 * redacted by default: only the program name (or named command) and the
 * matched rules are recorded.
 */
import { VERSION } from '../version.ts';
import { escapeControl } from '../util/text.ts';
import { isoTime } from '../util/iso-time.ts';
import type { AuditEventName, AuditFields } from '../deps.ts';
import { maskArgv } from './mask-argv.ts';

export type { AuditEventName, AuditFields };

export interface AuditEvent extends AuditFields {
  ts: string;
  event: AuditEventName;
  version: string;
}

export function buildEvent(event: AuditEventName, fields: AuditFields, now: number): AuditEvent {
  return { ts: isoTime(now), event, ...fields, version: VERSION };
}

/**
 * argv for the log when `audit.argv: true`: the built-in masks first (maskArgv:
 * flags named like secrets, Authorization credentials, URL passwords, JWTs,
 * `held` tokens), then the config's `secret_patterns`, control characters escaped.
 */
export function redactArgv(argv: readonly string[], secretPatterns: readonly string[], held: readonly string[] = []): string[] {
  const patterns = secretPatterns.map((p) => new RegExp(p));
  return maskArgv(argv, held).map((word) => {
    const escaped = escapeControl(word);
    if (!patterns.some((p) => p.test(word))) return escaped;
    // Keep an option's name (`--password=`), never any character of its value.
    const eq = escaped.indexOf('=');
    return eq > 0 ? `${escaped.slice(0, eq + 1)}****` : '****';
  });
}
