/**
 * Reads a team's audit events for `guard report --team PATH…` (SPEC §16):
 * the files named, and every file under the folders named — guard's JSONL,
 * or syslog lines whose message is a guard event (whatever precedes the
 * first `{` is the syslog header, as in rsyslog's file formats), plain or
 * gzip-compressed (`.gz`, as logrotate leaves them).
 *
 * The input comes from many machines and may be hostile, so every read is
 * bounded: lines longer than {@link MAX_LINE_BYTES} are skipped without
 * being held; a line is a guard event only if its JSON has a known event
 * name, a time and guard's `version` (another program's JSON is skipped);
 * a folder is entered once however many links lead to it (a symlink loop
 * ends), at most {@link MAX_DEPTH} deep and {@link MAX_FILES} files in all.
 * An event whose `tier`, `user` or `host` is not a plain name is skipped;
 * other field values are kept as they are: every renderer escapes them. An event
 * found in two files (a laptop's own JSONL beside the collector's copy)
 * counts once; lines of one file each count.
 */
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { AUDIT_EVENT_NAMES } from '../deps.ts';
import { GuardError } from '../errors.ts';
import { fingerprint } from '../util/builtins.ts';
import { escapeControl } from '../util/text.ts';
import type { AuditEvent } from './event.ts';
import { parseAuditLine } from './read.ts';

export const MAX_LINE_BYTES = 64 * 1024;
export const MAX_DEPTH = 16;
export const MAX_FILES = 100_000;

const EVENT_NAMES = new Set<string>(AUDIT_EVENT_NAMES);

export interface TeamLog {
  /** Guard events, oldest first, each once. */
  events: AuditEvent[];
  /** Lines with a `{` that held no guard event (corrupt, foreign, too long). */
  skipped: number;
  /** Events found in an earlier file too, and counted once. */
  duplicates: number;
  /** Files read. */
  files: number;
  /** Things not read, one line each (escaped). */
  notes: string[];
}

/**
 * The fields a report groups by and prints, as guard writes them: a tier
 * name, a person's readable name (or subject, or e-mail), a host name. A
 * value outside these (a control character, a page of text) marks a line
 * no guard wrote: it is skipped, never grouped or shown. (Grouping itself
 * needs no name to be safe: it keys Maps and prototype-free records.)
 * Absent, null or empty is "none" (a login has no tier; an older guard wrote no user).
 */
const PLAIN_NAMES: Readonly<Record<string, RegExp>> = {
  // A tier is any name a config gives it, a person any name an IdP gives: no control character, not too long.
  tier: /^[^\p{Cc}\p{Cf}]{1,128}$/u,
  user: /^[^\p{Cc}\p{Cf}]{1,256}$/u,
  host: /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/,
};

/** The guard event in one line of a JSONL or syslog file, or undefined. */
export function parseCollectedLine(line: string): { event: AuditEvent; json: string } | undefined {
  const start = line.indexOf('{');
  if (start < 0) return undefined;
  const json = line.slice(start).trim();
  const event = parseAuditLine(json);
  if (!event || !EVENT_NAMES.has(event.event) || typeof event.version !== 'string') return undefined;
  if (!Object.entries(PLAIN_NAMES).every(([field, pattern]) => event[field] === undefined || event[field] === null || event[field] === '' || (typeof event[field] === 'string' && pattern.test(event[field])))) return undefined;
  return { event, json };
}

/**
 * The lines of a byte stream, each at most `max` bytes; a longer line
 * comes out as `null`, and is never held whole.
 */
export async function* boundedLines(chunks: AsyncIterable<Buffer>, max: number): AsyncGenerator<string | null> {
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  for await (const chunk of chunks) {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(10, start);
      const end = newline < 0 ? chunk.length : newline;
      if (!tooLong) {
        if (size + end - start > max) {
          tooLong = true;
          parts = [];
          size = 0;
        } else if (end > start) {
          parts.push(chunk.subarray(start, end));
          size += end - start;
        }
      }
      if (newline < 0) break;
      yield tooLong ? null : Buffer.concat(parts, size).toString('utf8');
      parts = [];
      size = 0;
      tooLong = false;
      start = newline + 1;
    }
  }
  if (tooLong) yield null;
  else if (size > 0) yield Buffer.concat(parts, size).toString('utf8');
}

/** The files under each path, folders walked in name order; a folder reached twice (a link loop) is walked once. */
function listFiles(paths: readonly string[], notes: string[]): string[] {
  const files: string[] = [];
  const seen = new Set<string>();
  const walk = (path: string, depth: number, named: boolean) => {
    if (files.length >= MAX_FILES) return;
    let info;
    try {
      info = statSync(path); // follows links: a link to a file or folder counts as what it points to
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      if (named) throw new GuardError('usage', `cannot read ${escapeControl(path)} (${code}); name files or folders of audit events`);
      notes.push(`skipped ${escapeControl(path)} (${code})`);
      return;
    }
    if (info.isFile()) {
      files.push(path);
      return;
    }
    if (!info.isDirectory()) return;
    const id = `${info.dev}:${info.ino}`;
    if (seen.has(id)) return;
    seen.add(id);
    if (depth >= MAX_DEPTH) {
      notes.push(`not entering ${escapeControl(path)}: deeper than ${MAX_DEPTH} folders`);
      return;
    }
    let names: string[];
    try {
      names = readdirSync(path).sort();
    } catch (error) {
      notes.push(`skipped ${escapeControl(path)} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      return;
    }
    for (const name of names) walk(join(path, name), depth + 1, false);
  };
  for (const path of paths) walk(path, 0, true);
  if (files.length >= MAX_FILES) notes.push(`read the first ${MAX_FILES} files only`);
  return files;
}

/** Reads every event of the paths; events before `notBefore` (ms) are left out early, to bound memory. */
export async function readTeamLogs(paths: readonly string[], notBefore = -Infinity): Promise<TeamLog> {
  const notes: string[] = [];
  const files = listFiles(paths, notes);
  const events: AuditEvent[] = [];
  /** Each event's first file (its index). */
  const seen = new Map<string, number>();
  let skipped = 0;
  let duplicates = 0;
  for (const [index, file] of files.entries()) {
    const raw = createReadStream(file);
    const stream = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
    try {
      for await (const line of boundedLines(stream, MAX_LINE_BYTES)) {
        if (line === null) {
          skipped++;
          continue;
        }
        if (!line.includes('{')) continue; // another program's syslog line: not ours to count
        const found = parseCollectedLine(line);
        if (!found) {
          skipped++;
          continue;
        }
        if (Date.parse(found.event.ts) < notBefore) continue;
        // The same JSON in another file is the same event: guard writes each line once, with its time to the millisecond.
        const key = `${fingerprint(found.json)}:${found.json.length}`;
        const first = seen.get(key);
        if (first !== undefined && first !== index) {
          duplicates++;
          continue;
        }
        seen.set(key, index);
        events.push(found.event);
      }
    } catch (error) {
      notes.push(`stopped reading ${escapeControl(file)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    } finally {
      raw.destroy();
    }
  }
  // Stable: events of one millisecond keep their order in the files.
  events.sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
  return { events, skipped, duplicates, files: files.length, notes };
}
