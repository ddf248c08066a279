/** Audit event building and argv redaction (SPEC §6–7: no secrets, argv redacted by default). */
import { describe, expect, it } from 'vitest';
import { buildEvent, MAX_ARGV_WORD_BYTES, MAX_EVENT_BYTES, redactArgv } from '../../src/audit/event.ts';
import { MAX_LINE_BYTES } from '../../src/audit/read-team.ts';
import { escapeControl } from '../../src/util/text.ts';

describe('events', () => {
  it('carry an ISO timestamp, the event name, the fields and the guard version', () => {
    expect(buildEvent('denied', { profile: 'p', reason: 'idle' }, Date.UTC(2026, 0, 2, 3, 4, 5, 6))).toEqual({
      ts: '2026-01-02T03:04:05.006Z', event: 'denied', profile: 'p', reason: 'idle', version: expect.any(String),
    });
  });
});

describe('the size of an event (one line through every sink, never split)', () => {
  const T = Date.UTC(2026, 0, 2);
  const bytes = (event: unknown) => Buffer.byteLength(JSON.stringify(event));

  it('cuts a huge argv word, so its rest can never become a message of its own', () => {
    // The reviewer's line: logger split it after 64 KiB and read `<1>` as a new priority.
    const event = buildEvent('allowed', { profile: 'p', argv: ['echo', `${'A'.repeat(65_468)}<1>MALLORY: fake`] }, T);
    expect(event.argv_truncated).toBe(true);
    expect(event.argv![0]).toBe('echo');
    expect(event.argv![1]).toMatch(/^A+…$/);
    expect(bytes(event.argv![1]!)).toBeLessThanOrEqual(MAX_ARGV_WORD_BYTES);
    expect(JSON.stringify(event)).not.toContain('MALLORY');
    expect(bytes(event)).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    expect(MAX_EVENT_BYTES).toBeLessThan(Math.min(MAX_LINE_BYTES - 1024, 65_507 - 1024));
  });

  it('bounds many words, escapes that grow in JSON, and fields other than argv', () => {
    const many = buildEvent('allowed', { argv: ['x', ...Array.from({ length: 5000 }, () => '\\"'.repeat(300))] }, T);
    expect(many.argv_truncated).toBe(true);
    expect(bytes(many)).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    const wide = buildEvent('allowed', { argv: ['x', '€'.repeat(10_000)] }, T);
    expect(bytes(wide.argv![1]!)).toBeLessThanOrEqual(MAX_ARGV_WORD_BYTES);
    const huge = buildEvent('allowed', { command: 'c'.repeat(100_000), rules: Array.from({ length: 1000 }, (_, i) => `rule-${i}`) }, T);
    expect(bytes(huge)).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    expect(huge).toMatchObject({ event: 'allowed', truncated: true });
    // A normal event is left exactly as it is.
    expect(buildEvent('allowed', { argv: ['kubectl', 'get', 'pods'] }, T)).not.toHaveProperty('argv_truncated');
  });
});

describe('argv for the log (audit.argv: true)', () => {
  it.each([
    ['plain', 'plain'],
    ['line\nforged', 'line\\x0aforged'],
    ['\u001b[31mred', '\\x1b[31mred'],
    ['tab\there', 'tab\\x09here'],
    ['c1\u009bx', 'c1\\x9bx'],
    ['ünïcödé ✓', 'ünïcödé ✓'],
  ])('escapes control characters: %j → %j', (input, expected) => expect(escapeControl(input)).toBe(expected));

  it('masks words that match a secret pattern, keeping only an option name', () => {
    expect(redactArgv(['psql', '--password=hunter2-long-secret', 'prod\n', 'short=1', 'sekrit'], ['^--password=', '^short=', 'sekrit'])).toEqual(['psql', '--password=****', 'prod\\x0a', 'short=****', '****']);
  });
});
