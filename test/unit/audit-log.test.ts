/** The audit log on disk: appends, rotation by size, and readers that survive corrupt lines. */
import { describe, expect, it } from 'vitest';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendAuditLine, auditPath, writeAuditEvent } from '../../src/audit/log.ts';
import { buildEvent, type AuditEventName, type AuditFields } from '../../src/audit/event.ts';

const appendAudit = (stateDir: string, event: AuditEventName, fields: AuditFields, now: number) => writeAuditEvent(stateDir, buildEvent(event, fields, now));
import { parseAuditText, readAuditLog } from '../../src/audit/read.ts';
import { auditFiles, KEEP_ROTATED } from '../../src/audit/rotate.ts';

const NOW = Date.UTC(2026, 10, 30, 12);
const stateDir = () => join(mkdtempSync(join(tmpdir(), 'guard-audit-')), 'state');

describe('appending', () => {
  it('creates the folder and a 0600 file, one JSON object a line, with ts and version', () => {
    const dir = stateDir();
    expect(appendAudit(dir, 'allowed', { profile: 'p', tier: 't', rules: ['r'], command: 'kubectl' }, NOW)).toBeUndefined();
    expect(appendAudit(dir, 'command_exit', { profile: 'p', exit_code: 3, duration_ms: 12 }, NOW + 12)).toBeUndefined();
    expect(statSync(auditPath(dir)).mode & 0o777).toBe(0o600);
    const lines = readFileSync(auditPath(dir), 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { ts: '2026-11-30T12:00:00.000Z', event: 'allowed', profile: 'p', tier: 't', rules: ['r'], command: 'kubectl', version: expect.any(String) },
      { ts: '2026-11-30T12:00:00.012Z', event: 'command_exit', profile: 'p', exit_code: 3, duration_ms: 12, version: expect.any(String) },
    ]);
  });

  it("never appends to another user's log (as root: a log given to nobody; as anyone else: judged for another uid)", () => {
    const dir = stateDir();
    appendAuditLine(dir, 'first\n');
    const me = process.getuid!();
    // Root can give the file away; another user cannot, so the log is judged for a uid that is not its owner's.
    if (me === 0) chownSync(auditPath(dir), 65534, 65534);
    const owner = me === 0 ? 0 : me + 1;
    expect(() => appendAuditLine(dir, 'second\n', undefined, owner)).toThrow(expect.objectContaining({ code: 'EFOREIGN' }));
    expect(readFileSync(auditPath(dir), 'utf8')).toBe('first\n');
  });

  it('repairs a log whose mode was loosened before it appends to it', () => {
    const dir = stateDir();
    appendAuditLine(dir, 'first\n');
    chmodSync(auditPath(dir), 0o644);
    appendAuditLine(dir, 'second\n');
    expect(statSync(auditPath(dir)).mode & 0o777).toBe(0o600);
    expect(readFileSync(auditPath(dir), 'utf8')).toBe('first\nsecond\n');
  });

  it('reports a problem instead of throwing when it cannot write', () => {
    const dir = stateDir();
    writeFileSync(join(dir, '..', 'blocker'), '');
    expect(appendAudit(join(dir, '..', 'blocker', 'state'), 'allowed', {}, NOW)).toMatch(/^could not write the audit log \(E/);
  });
});

describe('rotation', () => {
  const line = (i: number) => `${JSON.stringify({ ts: new Date(NOW + i).toISOString(), event: 'allowed', seq: i, pad: 'x'.repeat(150) })}\n`;

  it('keeps every file under max_bytes, shifts .1 → .2 → .3, and loses nothing but the oldest file', () => {
    const dir = stateDir();
    const max = 4096;
    const perLine = Buffer.byteLength(line(0));
    for (let i = 0; i < 100; i++) appendAuditLine(dir, line(i), max);
    const present = auditFiles(dir).filter((f) => existsSync(f));
    expect(present.map((f) => f.slice(dir.length + 1))).toEqual(['audit.jsonl.3', 'audit.jsonl.2', 'audit.jsonl.1', 'audit.jsonl']);
    expect(existsSync(`${auditPath(dir)}.${KEEP_ROTATED + 1}`)).toBe(false);
    for (const file of present) {
      expect(statSync(file).size).toBeLessThanOrEqual(max);
      expect(statSync(file).mode & 0o777).toBe(0o600);
    }
    // Each rotated file is full: as many whole lines as fit.
    const perFile = Math.floor(max / perLine);
    expect(readFileSync(`${auditPath(dir)}.1`, 'utf8').split('\n').length - 1).toBe(perFile);
    const { events, skipped } = readAuditLog(dir);
    expect(skipped).toBe(0);
    const seqs = events.map((e) => e.seq as number);
    // The newest lines survive, in order, without a hole.
    expect(seqs[seqs.length - 1]).toBe(99);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => 100 - seqs.length + i));
    expect(seqs.length).toBe(3 * perFile + (100 % perFile || perFile));
  });

  it('does not rotate below the cap', () => {
    const dir = stateDir();
    for (let i = 0; i < 5; i++) appendAuditLine(dir, line(i), 1 << 20);
    expect(existsSync(`${auditPath(dir)}.1`)).toBe(false);
  });
});

describe('reading back', () => {
  it('skips and counts corrupt lines, never failing', () => {
    const good = JSON.stringify({ ts: '2026-11-30T12:00:00.000Z', event: 'allowed' });
    const text = [good, '{"ts":"2026-11-30T12:00:01.000Z","event":"comm', 'not json', '[1,2]', '{"event":"allowed"}', '{"ts":"yesterday","event":"allowed"}', '', good, ''].join('\n');
    const { events, skipped } = parseAuditText(text);
    expect(events).toHaveLength(2);
    expect(skipped).toBe(5);
  });

  it('reads rotated files oldest first and sorts by time', () => {
    const dir = stateDir();
    appendAudit(dir, 'allowed', { n: 3 }, NOW + 3000);
    writeFileSync(`${auditPath(dir)}.1`, `${JSON.stringify({ ts: new Date(NOW + 2000).toISOString(), event: 'allowed', n: 2 })}\n{torn`);
    writeFileSync(`${auditPath(dir)}.2`, `${JSON.stringify({ ts: new Date(NOW + 1000).toISOString(), event: 'allowed', n: 1 })}\n`);
    const log = readAuditLog(dir);
    expect(log.events.map((e) => e.n)).toEqual([1, 2, 3]);
    expect(log.skipped).toBe(1);
    expect(log.files.map((f) => f.slice(dir.length + 1))).toEqual(['audit.jsonl.2', 'audit.jsonl.1', 'audit.jsonl']);
  });

  it('treats a missing log as empty', () => {
    expect(readAuditLog(stateDir())).toEqual({ events: [], skipped: 0, files: [] });
  });
});
