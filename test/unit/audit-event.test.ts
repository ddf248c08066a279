/** Audit event building and argv redaction (SPEC §6–7: no secrets, argv redacted by default). */
import { describe, expect, it } from 'vitest';
import { buildEvent, redactArgv } from '../../src/audit/event.ts';
import { escapeControl } from '../../src/util/text.ts';

describe('events', () => {
  it('carry an ISO timestamp, the event name, the fields and the guard version', () => {
    expect(buildEvent('denied', { profile: 'p', reason: 'idle' }, Date.UTC(2026, 0, 2, 3, 4, 5, 6))).toEqual({
      ts: '2026-01-02T03:04:05.006Z', event: 'denied', profile: 'p', reason: 'idle', version: expect.any(String),
    });
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
