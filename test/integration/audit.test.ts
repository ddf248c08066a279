/**
 * The audit log and `guard report` end to end: real bin/guard processes, the
 * real IdP and Secret Service, and a real OTLP/HTTP receiver on 127.0.0.1.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startIdp } from '../support/idp.ts';
import { configFor, createSandbox, login, runGuard } from '../support/guard.ts';
import { freePort } from '../support/net.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.ts';
import { useServer } from '../support/use-server.ts';

const idp = useServer(() => startIdp());

type Line = Record<string, unknown>;

/** Every line of every audit file, parsed (throws on a torn or interleaved line). */
function auditLines(stateDir: string): Line[] {
  const files = ['audit.jsonl.3', 'audit.jsonl.2', 'audit.jsonl.1', 'audit.jsonl'].map((f) => join(stateDir, f)).filter((f) => existsSync(f));
  return files.flatMap((file) => {
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    return lines.map((line) => JSON.parse(line) as Line);
  });
}

function sandboxWith(options: Parameters<typeof configFor>[2] = {}) {
  const sandbox = createSandbox();
  sandbox.writeConfig(configFor(sandbox, idp.issuer, options));
  return sandbox;
}

async function waitFor(what: string, condition: () => boolean, timeout = 20_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const localDay = (ms: number) => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

describe('appends under concurrency', () => {
  it('50 parallel guarded runs leave 50 well-formed command_exit lines', async () => {
    const sandbox = sandboxWith();
    await login(sandbox);
    const runs = await Promise.all(Array.from({ length: 50 }, () => runGuard(['run', '--no-prompt', '--', 'true'], sandbox.env)));
    expect(runs.map((r) => r.code)).toEqual(Array(50).fill(0));
    const lines = auditLines(sandbox.stateDir);
    for (const line of lines) expect(line).toMatchObject({ ts: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), event: expect.any(String), version: expect.any(String) });
    const exits = lines.filter((l) => l.event === 'command_exit');
    expect(exits).toHaveLength(50);
    for (const exit of exits) {
      expect(exit).toMatchObject({ profile: sandbox.profile, tier: 'standard', rules: [], command: 'true', exit_code: 0, duration_ms: expect.any(Number), session_id: expect.any(String) });
      expect(exit).not.toHaveProperty('argv');
    }
    expect(lines.filter((l) => l.event === 'allowed')).toHaveLength(50);
    expect(statSync(join(sandbox.stateDir, 'audit.jsonl')).mode & 0o777).toBe(0o600);
  });

  it('rotates past audit.max_bytes under parallel writers without losing or tearing a line', async () => {
    const sandbox = sandboxWith({ extra: 'audit:\n  max_bytes: 4096' });
    await login(sandbox);
    const runs = await Promise.all(Array.from({ length: 20 }, () => runGuard(['run', '--no-prompt', '--', 'true'], sandbox.env)));
    expect(runs.map((r) => r.code)).toEqual(Array(20).fill(0));
    expect(existsSync(join(sandbox.stateDir, 'audit.jsonl.1'))).toBe(true);
    for (const name of readdirSync(sandbox.stateDir).filter((n) => n.startsWith('audit.'))) {
      expect(statSync(join(sandbox.stateDir, name)).mode & 0o777).toBe(0o600);
    }
    const lines = auditLines(sandbox.stateDir);
    expect(lines.filter((l) => l.event === 'login')).toHaveLength(1);
    expect(lines.filter((l) => l.event === 'allowed')).toHaveLength(20);
    expect(lines.filter((l) => l.event === 'command_exit')).toHaveLength(20);
  });
});

describe('what a line holds', () => {
  it('logs argv only with audit.argv: true, control characters escaped and secret-looking words masked', async () => {
    const sandbox = sandboxWith({ extra: "audit:\n  argv: true\n  secret_patterns: ['^--password=']" });
    await login(sandbox);
    const ran = await runGuard(['run', '--no-prompt', '--', 'sh', '-c', 'exit 0', 'x', '--password=hunter2-very-secret', 'a\u001b[31mb\nc'], sandbox.env);
    expect(ran.code).toBe(0);
    const text = readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8');
    expect(text).not.toContain('hunter2');
    const exit = auditLines(sandbox.stateDir).find((l) => l.event === 'command_exit')!;
    expect(exit.argv).toEqual(['sh', '-c', 'exit 0', 'x', '--password=****', 'a\\x1b[31mb\\x0ac']);
    expect(exit.command).toBe('sh');
  });
});

describe('guard report', () => {
  it('reports a real session: text, --json and --format csv', async () => {
    const sandbox = sandboxWith({ tiers: '  privileged: { idle: 15m, max_session: 8h }\n  standard: { idle: 45m, max_session: 12h }', rules: '  - name: prod\n    match: "true --prod"\n    tier: privileged' });
    await login(sandbox);
    for (const argv of [['true'], ['sh', '-c', 'exit 2'], ['true']]) await runGuard(['run', '--no-prompt', '--', ...argv], sandbox.env);
    expect((await runGuard(['run', '--no-prompt', '--', 'true', '--prod'], sandbox.env)).code).toBe(0);

    const text = await runGuard(['report'], sandbox.env);
    expect(text.code).toBe(0);
    expect(text.stderr).toBe('');
    expect(text.stdout).toContain('1 working day');
    expect(text.stdout).toMatch(new RegExp(`${sandbox.profile} +standard +3\\.0 +0\\.0`));
    expect(text.stdout).toContain('1 prompt in 1 working day: 1.00 per working day (sign-ins 1');
    expect(text.stdout).toMatch(/privileged {2}idle 15m {2}→ 1m {2}\(thin data\)/);
    expect(text.stdout).toMatch(/standard {2}idle 45m {2}→ 1m {2}\(thin data\)\n {4}1m is the shortest idle limit .*: 0 of 2 idle gaps exceed 1m over 1 working day/);

    const json = await runGuard(['report', '--json'], sandbox.env);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ report_version: 1, window: { working_days: 1 }, log: { skipped_lines: 0 }, prompts: { total: 1, by_kind: { login: 1 } } });
    expect(report.groups.find((g: { tier: string }) => g.tier === 'privileged').totals.commands).toBe(1);
    expect(report.idle_gaps.count).toBe(3);
    expect(report.suggestions.map((s: { tier: string; current_idle_ms: number; thin_data: boolean }) => [s.tier, s.current_idle_ms, s.thin_data])).toEqual([
      ['privileged', 15 * 60_000, true],
      ['standard', 45 * 60_000, true],
    ]);

    const csv = await runGuard(['report', '--format', 'csv', '--tier', 'standard'], sandbox.env);
    expect(csv.stdout.split('\r\n')).toEqual(['date,profile,tier,commands,logins,step_ups,refreshes,idle_expiries,max_session_expiries,prompts', `${localDay(Date.now())},${sandbox.profile},standard,3,0,0,0,0,0,0`, '']);

    for (const args of [['--since', 'a while'], ['--tier', 'nope'], ['--format', 'xml'], ['--target', '-1']]) {
      const bad = await runGuard(['report', ...args], sandbox.env);
      expect(bad.code).toBe(64);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(bad.stderr).toMatch(/^guard: /);
    }
  });

  it('skips corrupt lines with a count and never fails on them', async () => {
    const sandbox = sandboxWith();
    mkdirSync(sandbox.stateDir, { recursive: true });
    const now = Date.now(); // one clock reading: the gaps are then exact
    const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
    const good = (minutesAgo: number) => JSON.stringify({ ts: at(minutesAgo), event: 'allowed', profile: 'p', tier: 'standard', command: 'kubectl', session_id: 's', version: '0.1.0' });
    writeFileSync(join(sandbox.stateDir, 'audit.jsonl'), `${good(30)}\n\u0000\u0001garbage\n{"ts":"${at(20)}","event":"allo\n${good(10)}\n`);
    writeFileSync(join(sandbox.stateDir, 'audit.jsonl.1'), `${good(40)}\n[]\n`);

    const json = await runGuard(['report', '--json'], sandbox.env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ log: { events: 3, skipped_lines: 3 }, idle_gaps: { count: 2, percentiles_ms: { p50: 10 * 60_000 } } });
    expect(json.stderr).toBe('guard: note: skipped 3 corrupt lines in the audit log\n');
    const text = await runGuard(['report'], sandbox.env);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('3 events from 2 log files; 3 corrupt lines skipped');
  });
});

describe('shipping to an OpenTelemetry collector (audit.ship.otlp)', () => {
  let receiver: OtlpReceiver | undefined;
  afterAll(async () => {
    await receiver?.stop();
  });

  it('spools while the collector is down and delivers every event exactly once when it is up', async () => {
    const port = await freePort();
    const sandbox = sandboxWith({ extra: `audit:\n  ship:\n    otlp: http://127.0.0.1:${port}` });
    const spool = join(sandbox.stateDir, 'audit-spool', 'otlp');
    const spooled = () => (existsSync(spool) ? readdirSync(spool).filter((n) => n.endsWith('.json')).length : 0);

    await login(sandbox);
    expect((await runGuard(['run', '--no-prompt', '--', 'true'], sandbox.env)).code).toBe(0);
    // Collector down: the command ran, and its events wait in the spool.
    expect(spooled()).toBe(3);
    for (const name of readdirSync(spool)) expect(statSync(join(spool, name)).mode & 0o777).toBe(0o600);

    receiver = await startOtlpReceiver({ port });
    const later = await runGuard(['run', '--no-prompt', '--', 'sh', '-c', 'echo shipped'], sandbox.env);
    expect(later).toMatchObject({ code: 0, stdout: 'shipped\n', stderr: '' });

    const logged = readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n');
    expect(logged).toHaveLength(5);
    const lock = join(sandbox.stateDir, 'audit-spool.lock');
    await waitFor('the background drainer', () => receiver!.records.length >= logged.length && spooled() === 0 && !existsSync(lock));
    expect(receiver.records.map((r) => r.body).sort()).toEqual([...logged].sort());
    expect(receiver.records.map((r) => r.attributes['event.name'])).toEqual(['guard.login', 'guard.allowed', 'guard.command_exit', 'guard.allowed', 'guard.command_exit']);
    expect(receiver.records[0]!.resource).toMatchObject({ 'service.name': 'guard', 'service.version': expect.any(String) });
  });

  it('never holds up guard run for a collector that does not answer', async () => {
    const hanging = await startOtlpReceiver({ mode: 'hang' });
    try {
      const sandbox = sandboxWith({ extra: `audit:\n  ship:\n    otlp: ${hanging.url}` });
      await login(sandbox);
      // Each request to the collector may wait 30 s: a run that waited for it would take at least that long.
      const started = Date.now();
      const ran = await runGuard(['run', '--no-prompt', '--', 'sh', '-c', 'echo ran'], { ...sandbox.env, GUARD_HTTP_TIMEOUT: '30' });
      const took = Date.now() - started;
      expect(ran).toMatchObject({ code: 0, stdout: 'ran\n', stderr: '' });
      expect(took).toBeLessThan(15_000); // half the collector timeout (generous: not a benchmark)
      // The background sender did reach the collector, which still holds the request unanswered…
      await waitFor('a request held by the collector', () => hanging.requests.length > 0);
      // …so nothing was taken off the spool.
      expect(readdirSync(join(sandbox.stateDir, 'audit-spool', 'otlp')).filter((n) => n.endsWith('.json')).length).toBeGreaterThan(0);
    } finally {
      await hanging.stop();
    }
  });
});
