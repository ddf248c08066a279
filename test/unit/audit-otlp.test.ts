/**
 * OTLP shipping: the request body, and draining the spool against a real
 * local HTTP receiver — down, failing, then up — with every event arriving
 * exactly once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildEvent, type AuditEvent } from '../../src/audit/event.ts';
import { buildLogsData, logsEndpoint } from '../../src/audit/otlp.ts';
import { drainSpool } from '../../src/audit/drain.ts';
import { createOtlpSink, type OtlpSinkOptions } from '../../src/audit/sink-otlp.ts';
import { readSinkStatus } from '../../src/audit/sink-status.ts';
import { checkAuditSinks } from '../../src/doctor/check-audit.ts';
import { claimDrainer, pendingPath, queueDir, spoolEvent as spoolFor } from '../../src/audit/spool.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.ts';
import { freePort } from '../support/net.ts';

const NOW = Date.UTC(2026, 10, 30, 12);
const stateDir = () => join(mkdtempSync(join(tmpdir(), 'guard-otlp-')), 'state');
const event = (i: number, name: AuditEvent['event'] = 'allowed'): AuditEvent =>
  buildEvent(name, { profile: 'p', tier: 'privileged', rules: ['prod-kube'], command: 'kubectl', exit_code: 0, duration_ms: 1.5, session_id: `s${i}` }, NOW + i);
const spoolDir = (dir: string) => queueDir(dir, 'otlp');
const spooled = (dir: string) => readdirSync(spoolDir(dir)).filter((n) => n.endsWith('.json'));
const spoolEvent = (dir: string, line: string, now: number) => spoolFor(dir, 'otlp', line, now);

/** The drainer with the OTLP sink alone, its outcome in one object. */
async function drainOtlp(dir: string, options: OtlpSinkOptions & { batch?: number; maxSpooled?: number }) {
  const { batch, maxSpooled, ...sink } = options;
  const result = await drainSpool(dir, [createOtlpSink(sink)], { ...(batch ? { batch } : {}), ...(maxSpooled ? { maxSpooled } : {}) });
  const otlp = result.sinks.otlp!;
  return { sent: otlp.sent, dropped: otlp.dropped, ...(otlp.problem ? { problem: otlp.problem } : {}), ...(result.busy ? { busy: true } : {}) };
}

let receivers: OtlpReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.map((r) => r.stop()));
  receivers = [];
});
async function receiver(options: Parameters<typeof startOtlpReceiver>[0] = {}): Promise<OtlpReceiver> {
  const r = await startOtlpReceiver(options);
  receivers.push(r);
  return r;
}

describe('the OTLP/HTTP JSON body', () => {
  it('is resourceLogs → scopeLogs → logRecords, with the audit line as body and typed attributes', () => {
    const data = buildLogsData([event(0), event(1, 'denied')], { 'service.name': 'guard', 'service.version': '1.2.3' }, NOW + 5, '1.2.3');
    expect(data.resourceLogs).toHaveLength(1);
    const [rl] = data.resourceLogs;
    expect(rl!.resource.attributes).toEqual([
      { key: 'service.name', value: { stringValue: 'guard' } },
      { key: 'service.version', value: { stringValue: '1.2.3' } },
    ]);
    expect(rl!.scopeLogs[0]!.scope).toEqual({ name: 'guard.audit', version: '1.2.3' });
    const [allowed, denied] = rl!.scopeLogs[0]!.logRecords;
    expect(allowed).toMatchObject({ timeUnixNano: `${NOW}000000`, observedTimeUnixNano: `${NOW + 5}000000`, severityNumber: 9, severityText: 'INFO' });
    expect(JSON.parse((allowed!.body as { stringValue: string }).stringValue)).toEqual(event(0));
    expect(allowed!.attributes).toEqual(expect.arrayContaining([
      { key: 'event.name', value: { stringValue: 'guard.allowed' } },
      { key: 'guard.event', value: { stringValue: 'allowed' } },
      { key: 'guard.rules', value: { arrayValue: { values: [{ stringValue: 'prod-kube' }] } } },
      { key: 'guard.exit_code', value: { intValue: '0' } },
      { key: 'guard.duration_ms', value: { doubleValue: 1.5 } },
    ]));
    expect(allowed!.attributes.some((a) => a.key === 'guard.ts')).toBe(false);
    expect(denied).toMatchObject({ severityNumber: 13, severityText: 'WARN', timeUnixNano: `${NOW + 1}000000` });
  });

  it.each([
    ['http://collector:4318', 'http://collector:4318/v1/logs'],
    ['http://collector:4318/', 'http://collector:4318/v1/logs'],
    ['https://otel.example.com/custom/logs?k=1', 'https://otel.example.com/custom/logs?k=1'],
  ])('posts %s to %s', (configured, expected) => expect(logsEndpoint(configured)).toBe(expected));
});

describe('the spool', () => {
  it('holds one 0600 file per event, in time order', () => {
    const dir = stateDir();
    spoolEvent(dir, `${JSON.stringify(event(1))}\n`, NOW + 1);
    spoolEvent(dir, `${JSON.stringify(event(0))}\n`, NOW);
    const names = spooled(dir);
    expect(names).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(spoolDir(dir), names.sort()[0]!), 'utf8')).session_id).toBe('s0');
    expect(statSync(join(spoolDir(dir), names[0]!)).mode & 0o777).toBe(0o600);
    expect(statSync(spoolDir(dir)).mode & 0o777).toBe(0o700);
  });

  it('keeps the order of events of one millisecond, past the tenth', () => {
    const dir = stateDir();
    for (let i = 0; i < 12; i++) spoolEvent(dir, `${JSON.stringify(event(i))}\n`, NOW);
    expect(spooled(dir).sort().map((name) => JSON.parse(readFileSync(join(spoolDir(dir), name), 'utf8')).session_id)).toEqual(Array.from({ length: 12 }, (_, i) => `s${i}`));
  });
});

describe('starting drainers', () => {
  it('starts one for a burst of runs: not while one is on its way or sending', async () => {
    const dir = stateDir();
    mkdirSync(dir, { recursive: true });
    expect(claimDrainer(dir)).toBe(true);
    expect(claimDrainer(dir)).toBe(false);
    const collector = await receiver();
    await drainOtlp(dir, { endpoint: collector.url, timeout: 2_000 });
    expect(existsSync(pendingPath(dir))).toBe(false);
    expect(claimDrainer(dir)).toBe(true);
  });

  it('takes over from a drainer that never started', () => {
    const dir = stateDir();
    mkdirSync(dir, { recursive: true });
    expect(claimDrainer(dir)).toBe(true);
    const past = new Date(Date.now() - 60_000);
    utimesSync(pendingPath(dir), past, past);
    expect(claimDrainer(dir)).toBe(true);
    expect(claimDrainer(dir)).toBe(false);
  });

  it('leaves it to a drainer holding the lock', () => {
    const dir = stateDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'audit-spool.lock'), `${process.pid} held`, { mode: 0o600 });
    expect(claimDrainer(dir)).toBe(false);
  });
});

describe('draining', () => {
  it('keeps events while the collector is down or failing, then delivers each exactly once', async () => {
    const dir = stateDir();
    for (let i = 0; i < 5; i++) spoolEvent(dir, `${JSON.stringify(event(i))}\n`, NOW + i);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;

    const down = await drainOtlp(dir, { endpoint: url, timeout: 2_000 });
    expect(down.sent).toBe(0);
    expect(down.problem).toMatch(/^the collector at http:\/\/127\.0\.0\.1:\d+\/v1\/logs did not answer \(ECONNREFUSED\)$/);
    expect(spooled(dir)).toHaveLength(5);

    const collector = await receiver({ port, mode: 'fail' });
    const failing = await drainOtlp(dir, { endpoint: url, timeout: 2_000 });
    expect(failing.problem).toMatch(/answered HTTP 503$/);
    expect(spooled(dir)).toHaveLength(5);

    collector.mode = 'ok';
    spoolEvent(dir, `${JSON.stringify(event(5, 'command_exit'))}\n`, NOW + 5);
    const up = await drainOtlp(dir, { endpoint: url, timeout: 2_000, batch: 2 });
    expect(up).toEqual({ sent: 6, dropped: 0 });
    expect(spooled(dir)).toEqual([]);
    // Six events: the first alone (the delivery probe), then batches of two: four accepted requests.
    expect(collector.requests).toEqual(Array(4).fill({ path: '/v1/logs', contentType: 'application/json' }));
    expect(collector.records.map((r) => r.attributes['guard.session_id'])).toEqual(['s0', 's1', 's2', 's3', 's4', 's5']);
    expect(collector.records[5]!.attributes['event.name']).toBe('guard.command_exit');
    expect(collector.records[0]!.resource['service.name']).toBe('guard');

    expect(await drainOtlp(dir, { endpoint: url, timeout: 2_000 })).toEqual({ sent: 0, dropped: 0 });
    expect(collector.records).toHaveLength(6);
  });

  it('after a failure, tries once more for events that arrived meanwhile (their drainers stood down)', async () => {
    const dir = stateDir();
    spoolEvent(dir, `${JSON.stringify(event(0))}\n`, NOW);
    const calls: number[] = [];
    const fetchStub = (async (_url: string | URL | Request, init?: RequestInit) => {
      const events = (JSON.parse(String(init!.body)) as { resourceLogs: Array<{ scopeLogs: Array<{ logRecords: unknown[] }> }> }).resourceLogs[0]!.scopeLogs[0]!.logRecords.length;
      calls.push(events);
      if (calls.length === 1) {
        // A guard run spools an event while this drainer is busy, and the collector comes back.
        spoolEvent(dir, `${JSON.stringify(event(1))}\n`, NOW + 1);
        throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
      }
      return new Response('{}', { status: 200 });
    }) as typeof fetch;
    const result = await drainOtlp(dir, { endpoint: 'http://127.0.0.1:1', timeout: 1_000, fetch: fetchStub });
    // Each try starts with one event alone (the delivery probe), the rest once it was taken.
    expect(calls).toEqual([1, 1, 1]);
    expect(result).toMatchObject({ sent: 2 });
    expect(spooled(dir)).toEqual([]);

    // With no newcomer, a failure is final for this drainer: no busy loop against a dead collector.
    spoolEvent(dir, `${JSON.stringify(event(2))}\n`, NOW + 2);
    const failing = (async () => {
      calls.push(-1);
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    expect((await drainOtlp(dir, { endpoint: 'http://127.0.0.1:1', timeout: 1_000, fetch: failing })).problem).toMatch(/did not answer/);
    expect(calls).toEqual([1, 1, 1, -1]);
  });

  it('gives up on a collector that never answers, within the timeout, keeping the events', async () => {
    const dir = stateDir();
    spoolEvent(dir, `${JSON.stringify(event(0))}\n`, NOW);
    const collector = await receiver({ mode: 'hang' });
    const result = await drainOtlp(dir, { endpoint: collector.url, timeout: 300 });
    expect(result.problem).toMatch(/did not answer \(timeout\)$/);
    expect(spooled(dir)).toHaveLength(1);
  });

  it('leaves the spool to a drainer that holds the lock', async () => {
    const dir = stateDir();
    spoolEvent(dir, `${JSON.stringify(event(0))}\n`, NOW);
    writeFileSync(join(dir, 'audit-spool.lock'), `${process.pid} held`, { mode: 0o600 });
    const collector = await receiver();
    writeFileSync(pendingPath(dir), '');
    expect(await drainOtlp(dir, { endpoint: collector.url, timeout: 2_000 })).toMatchObject({ sent: 0, busy: true });
    expect(spooled(dir)).toHaveLength(1);
    // The holder looks at the spool again when it is done: this drainer is no longer "on its way".
    expect(existsSync(pendingPath(dir))).toBe(false);
  });

  it('drops a spooled file that holds no event, and caps the spool while the collector is down', async () => {
    const dir = stateDir();
    for (let i = 0; i < 5; i++) spoolEvent(dir, `${JSON.stringify(event(i))}\n`, NOW + i);
    writeFileSync(join(spoolDir(dir), '000000000000000-1-0-aaaaaa.json'), 'garbage');
    const port = await freePort();
    const down = await drainOtlp(dir, { endpoint: `http://127.0.0.1:${port}`, timeout: 1_000 });
    expect(down.dropped).toBe(1);
    expect(spooled(dir)).toHaveLength(5);
    // A drainer with a lower bound (it prunes when it starts, too).
    expect((await drainOtlp(dir, { endpoint: `http://127.0.0.1:${port}`, timeout: 1_000, maxSpooled: 3 })).dropped).toBe(0);
    expect(spooled(dir).map((n) => JSON.parse(readFileSync(join(spoolDir(dir), n), 'utf8')).session_id)).toEqual(['s2', 's3', 's4']);
    // Never silently: the sink's status counts what a full queue dropped, for guard doctor.
    expect(readSinkStatus(dir, 'otlp')).toMatchObject({ ok: false, pruned_total: 2, problem: expect.stringMatching(/did not answer/) });
  });

  it('never follows a symlink planted in the queue: the link is removed and counted, its target neither read nor sent', async () => {
    const dir = stateDir();
    spoolEvent(dir, `${JSON.stringify(event(0))}\n`, NOW);
    // Another file of the user that holds a line that parses as an event.
    const secret = join(dir, '..', 'secret.txt');
    writeFileSync(secret, `${JSON.stringify({ ...event(1), session_id: 'SECRET-CONTENT' })}\n`, { mode: 0o600 });
    symlinkSync(secret, join(spoolDir(dir), `${String(NOW + 1).padStart(15, '0')}-1-000000-zzzzzz.json`));
    const collector = await receiver();
    expect(await drainOtlp(dir, { endpoint: collector.url, timeout: 2_000 })).toEqual({ sent: 1, dropped: 1 });
    expect(collector.records.map((r) => r.attributes['guard.session_id'])).toEqual(['s0']);
    expect(spooled(dir)).toEqual([]);
    expect(readFileSync(secret, 'utf8')).toContain('SECRET-CONTENT');
  });

  it('keeps the queue to its bound when a drainer starts, not only after a failed send', async () => {
    const dir = stateDir();
    for (let i = 0; i < 5; i++) spoolEvent(dir, `${JSON.stringify(event(i))}\n`, NOW + i);
    const collector = await receiver();
    expect(await drainOtlp(dir, { endpoint: collector.url, timeout: 2_000, maxSpooled: 3 })).toEqual({ sent: 3, dropped: 0 });
    expect(collector.records.map((r) => r.attributes['guard.session_id'])).toEqual(['s2', 's3', 's4']);
    expect(readSinkStatus(dir, 'otlp')).toMatchObject({ ok: true, pruned_total: 2 });
  });

  it('drops an event the collector refuses for good (HTTP 413) and sends the rest; doctor shows the drop', async () => {
    const dir = stateDir();
    for (let i = 0; i < 5; i++) spoolEvent(dir, `${JSON.stringify(i === 1 ? { ...event(i), session_id: 'big' } : event(i))}\n`, NOW + i);
    const batches: string[][] = [];
    const fetchStub = (async (_url: string | URL | Request, init?: RequestInit) => {
      const ids = (JSON.parse(String(init!.body)) as { resourceLogs: Array<{ scopeLogs: Array<{ logRecords: Array<{ attributes: Array<{ key: string; value: { stringValue?: string } }> }> }> }> }).resourceLogs[0]!.scopeLogs[0]!.logRecords.map((r) => r.attributes.find((a) => a.key === 'guard.session_id')!.value.stringValue!);
      batches.push(ids);
      return new Response('{}', { status: ids.includes('big') ? 413 : 200 });
    }) as typeof fetch;
    expect(await drainOtlp(dir, { endpoint: 'http://127.0.0.1:1', timeout: 1_000, fetch: fetchStub })).toEqual({ sent: 4, dropped: 1 });
    expect(spooled(dir)).toEqual([]);
    // The probe, the batch refused whole, its halves until the one event, then the rest.
    expect(batches).toEqual([['s0'], ['big', 's2', 's3', 's4'], ['big', 's2'], ['big'], ['s2', 's3', 's4']]);
    expect(readSinkStatus(dir, 'otlp')).toMatchObject({ ok: true, dropped_total: 1 });
    const [check] = await checkAuditSinks(dir, { otlp: 'http://127.0.0.1:1' }, NOW, 1_000);
    expect(check).toMatchObject({ status: 'warn', summary: expect.stringContaining('; 1 events were dropped unsent (refused by the sink as too large, or unreadable)') });
  });

  it('sends what an older guard left in otlp-spool/ too', async () => {
    const dir = stateDir();
    const legacy = join(dir, 'otlp-spool');
    mkdirSync(legacy, { recursive: true, mode: 0o700 });
    writeFileSync(join(legacy, `${String(NOW).padStart(15, '0')}-1-0-aaaaaa.json`), `${JSON.stringify(event(0))}\n`, { mode: 0o600 });
    spoolEvent(dir, `${JSON.stringify(event(1))}\n`, NOW + 1);
    const collector = await receiver();
    expect(await drainOtlp(dir, { endpoint: collector.url, timeout: 2_000 })).toEqual({ sent: 2, dropped: 0 });
    expect(collector.records.map((r) => r.attributes['guard.session_id'])).toEqual(['s0', 's1']);
    expect(readdirSync(legacy)).toEqual([]);
  });
});
