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

/**
 * Size bounds of one audit line, in bytes of its JSON. The line travels
 * whole through every sink and back: logger(1) splits a longer message at
 * its `--size` and reads a `<N>` at the start of the rest as a new priority
 * (a forged message), a UDP datagram holds at most 65,507 bytes, and
 * `guard report --team` skips lines past 64 KiB (read-team.ts). So the
 * event is bounded once, here, where it is built, well below all of them:
 * each argv word, then the argv as a whole (`argv_truncated: true` when cut),
 * then, should other fields still make it too long, every string and list.
 */
export const MAX_ARGV_WORD_BYTES = 4 * 1024;
export const MAX_ARGV_BYTES = 16 * 1024;
export const MAX_EVENT_BYTES = 32 * 1024;
/** Marks where a word was cut. */
const CUT = '…';

/** Bytes a string adds to a JSON line (quotes and escapes included). */
function jsonBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text));
}

/** `text` cut (by code points) so its JSON takes at most `max` bytes, marked with `…`; unchanged when it fits. */
export function cutToBytes(text: string, max: number): string {
  if (jsonBytes(text) <= max) return text;
  let used = jsonBytes(CUT);
  let out = '';
  for (const c of text) {
    const cost = jsonBytes(c) - 2;
    if (used + cost > max) break;
    used += cost;
    out += c;
  }
  return out + CUT;
}

/** argv within its bounds: each word, then the words in all (with the comma between two). */
function boundArgv(argv: readonly string[]): { argv: string[]; cut: boolean } {
  const out: string[] = [];
  let used = 2;
  let cut = false;
  for (const word of argv) {
    const bounded = cutToBytes(String(word), MAX_ARGV_WORD_BYTES);
    const cost = jsonBytes(bounded) + 1;
    if (used + cost > MAX_ARGV_BYTES) return { argv: out, cut: true };
    used += cost;
    cut ||= bounded !== word;
    out.push(bounded);
  }
  return { argv: out, cut };
}

/** The last resort for a line still too long: every string field and list item short, every list short. */
function shrinkFields(event: AuditEvent): AuditEvent {
  const small = (value: unknown): unknown =>
    typeof value === 'string' ? cutToBytes(value, 256) : Array.isArray(value) ? value.slice(0, 32).map(small) : value;
  const out = Object.fromEntries(Object.entries(event).map(([key, value]) => [key, key === 'ts' || key === 'event' || key === 'version' ? value : small(value)]));
  return { ...(out as unknown as AuditEvent), truncated: true };
}

export function buildEvent(event: AuditEventName, fields: AuditFields, now: number): AuditEvent {
  const built: AuditEvent = { ts: isoTime(now), event, ...fields, version: VERSION };
  if (Array.isArray(fields.argv)) {
    const { argv, cut } = boundArgv(fields.argv);
    built.argv = argv;
    if (cut) built.argv_truncated = true;
  }
  return Buffer.byteLength(JSON.stringify(built)) <= MAX_EVENT_BYTES ? built : shrinkFields(built);
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
