/**
 * `audit.syslog` (SPEC §16): the address in the config (file:line errors),
 * which layer wins, the message formats, and the sinks against real local
 * sockets — a TCP receiver that reads RFC 6587 octet counting, a UDP one,
 * a port nothing listens on, and a unix socket path that is not there.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildEvent, type AuditEventName } from '../../src/audit/event.ts';
import { drainSpool, queuedFiles, type SpooledEvent } from '../../src/audit/drain.ts';
import { queueDir, spoolEvent } from '../../src/audit/spool.ts';
import { connectTcp, createSyslogSink } from '../../src/audit/sink-syslog.ts';
import { checkAuditSinks } from '../../src/doctor/check-audit.ts';
import { octetCounted, priorityPrefixed, rfc5424, syslogPriority } from '../../src/audit/syslog-format.ts';
import { mergeLayers } from '../../src/policy/merge.ts';
import { parseLayer } from '../../src/policy/parse-layer.ts';
import { parseSyslogAddress } from '../../src/util/syslog-address.ts';
import { freePort } from '../support/net.ts';

const T = Date.UTC(2026, 10, 30, 9, 15, 30, 250);
const spooled = (name: AuditEventName, i = 0, host: string | null = 'alice-laptop'): SpooledEvent => {
  const event = buildEvent(name, { profile: 'p', user: 'alice', ...(host ? { host } : {}), session_id: `s${i}` }, T + i);
  return { event, line: JSON.stringify(event), pid: 4242 };
};

/** A UDP port nothing listens on (for now). */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

describe('the address', () => {
  it.each([
    ['unix:/dev/log', { kind: 'unix', path: '/dev/log' }],
    ['unix:/run/systemd/journal/syslog', { kind: 'unix', path: '/run/systemd/journal/syslog' }],
    ['udp://logs.example.com:514', { kind: 'udp', host: 'logs.example.com', port: 514 }],
    ['tcp://127.0.0.1:10514', { kind: 'tcp', host: '127.0.0.1', port: 10514 }],
    ['tcp://[::1]:6514', { kind: 'tcp', host: '::1', port: 6514 }],
  ])('%s', (text, address) => expect(parseSyslogAddress(text)).toEqual(address));

  it.each(['unix:dev/log', 'tcp://logs.example.com', 'http://logs:514', 'udp://a b:514', 'tcp://host:0', 'tcp://host:70000', 'logs.example.com:514'])('refuses %s', (text) => {
    expect(parseSyslogAddress(text)).toMatchObject({ problem: expect.any(String) });
  });
});

describe('in the config', () => {
  const layer = (text: string, kind: 'system' | 'user' = 'user') => parseLayer(`version: 1\naudit:\n${text}\n`, `/etc/guard/${kind}.yaml`, kind);

  it('takes an address, true for the local socket, false for none', () => {
    expect(layer('  syslog: tcp://127.0.0.1:514').layer.audit.syslog).toBe('tcp://127.0.0.1:514');
    expect(layer('  syslog: true').layer.audit.syslog).toBe('unix:/dev/log');
    expect(layer('  syslog: false').layer.audit).toEqual({});
  });

  it('says where a bad one is', () => {
    expect(layer('  argv: true\n  syslog: tcp://logs.example.com').issues).toEqual([
      { file: '/etc/guard/user.yaml', line: 4, col: 11, message: 'audit.syslog: bad address "tcp://logs.example.com": use unix:/PATH, udp://HOST:PORT or tcp://HOST:PORT' },
    ]);
    expect(layer('  syslog: 514').issues[0]).toMatchObject({ line: 3, message: 'audit.syslog must be a non-empty string' });
  });

  it('is the system layer\'s when it sets one: a user layer can neither switch it off nor redirect it', () => {
    const system = layer('  syslog: tcp://siem.example.com:514', 'system').layer;
    expect(mergeLayers([system, layer('  syslog: false').layer]).config.audit.syslog).toBe('tcp://siem.example.com:514');
    expect(mergeLayers([system, layer('  syslog: udp://127.0.0.1:514').layer]).config.audit.syslog).toBe('tcp://siem.example.com:514');
    expect(mergeLayers([layer('  syslog: true').layer]).config.audit.syslog).toBe('unix:/dev/log');
  });
});

describe('the messages', () => {
  it.each([
    ['allowed', 85],
    ['command_exit', 85],
    ['login', 85],
    ['session_expired', 85],
    ['denied', 84],
    ['login_failed', 84],
    ['approval_denied', 84],
  ] as const)('%s is authpriv.%s', (name, pri) => expect(syslogPriority(name)).toBe(pri));

  it('gives logger each line with its priority, and writes RFC 5424 with the event\'s own time and host', () => {
    const allowed = spooled('allowed');
    expect(priorityPrefixed(allowed)).toBe(`<85>${allowed.line}`);
    expect(rfc5424(allowed, 'relay')).toBe(`<85>1 2026-11-30T09:15:30.250Z alice-laptop guard 4242 allowed - ${allowed.line}`);
    expect(rfc5424(spooled('denied', 1, null), 'this-host')).toMatch(/^<84>1 2026-11-30T09:15:30\.251Z this-host guard 4242 denied - \{/);
    // A header field is printable ASCII without spaces: a hostile host name cannot add fields.
    expect(rfc5424(spooled('allowed', 0, 'evil host\nx'), 'h')).toMatch(/^<85>1 \S+ evil_host_x guard 4242 allowed - /);
    expect(octetCounted('<85>1 héllo')).toBe('12 <85>1 héllo');
  });
});

describe('the sinks, against real sockets', () => {
  const servers: Array<Server | UdpSocket> = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => ('address' in server && 'send' in server ? (server as UdpSocket).close(() => resolve()) : (server as Server).close(() => resolve())))));
  });

  /** A TCP receiver that parses octet-counted frames and closes once the sender has. */
  async function tcpReceiver(): Promise<{ port: number; messages: string[] }> {
    const messages: string[] = [];
    const server = createServer((socket) => {
      let buffer = Buffer.alloc(0);
      socket.on('data', (chunk) => {
        buffer = Buffer.concat([buffer, chunk]);
        for (;;) {
          const space = buffer.indexOf(32);
          if (space < 0) break;
          const length = Number(buffer.subarray(0, space).toString());
          if (buffer.length < space + 1 + length) break;
          messages.push(buffer.subarray(space + 1, space + 1 + length).toString());
          buffer = buffer.subarray(space + 1 + length);
        }
      });
      socket.on('end', () => socket.end());
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as { port: number }).port, messages };
  }

  it('tcp: every event as one octet-counted RFC 5424 message, taken once the receiver closed', async () => {
    const receiver = await tcpReceiver();
    const sink = createSyslogSink({ address: `tcp://127.0.0.1:${receiver.port}`, timeout: 2_000, hostname: 'h' });
    const events = [spooled('allowed', 0), spooled('command_exit', 1), spooled('denied', 2)];
    expect(await sink.send(events)).toEqual({ delivered: 3 });
    expect(receiver.messages).toEqual(events.map((e) => rfc5424(e, 'h')));
  });

  it('tcp: nothing listening is a problem and nothing taken', async () => {
    const port = await freePort();
    const sink = createSyslogSink({ address: `tcp://127.0.0.1:${port}`, timeout: 2_000, hostname: 'h' });
    expect(await sink.send([spooled('allowed')])).toEqual({ delivered: 0, problem: `syslog tcp://127.0.0.1:${port}: ECONNREFUSED` });
  });

  it('udp: one datagram per event', async () => {
    const server = createSocket('udp4');
    servers.push(server);
    const received: string[] = [];
    server.on('message', (message) => received.push(message.toString()));
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
    const sink = createSyslogSink({ address: `udp://127.0.0.1:${server.address().port}`, timeout: 2_000, hostname: 'h' });
    const events = [spooled('allowed', 0), spooled('login_failed', 1)];
    expect(await sink.send(events)).toEqual({ delivered: 2 });
    for (let i = 0; i < 50 && received.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(received).toEqual(events.map((e) => rfc5424(e, 'h')));
  });

  it('unix: real logger(1) gets each event whole, and never a line it would split into a forged message', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'guard-syslog-')), 'log.sock');
    const chunks: Buffer[] = [];
    // logger falls back to a stream socket when the path is one; it ends each message with a newline there.
    const server = createServer((socket) => socket.on('data', (chunk) => chunks.push(chunk)));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const sink = createSyslogSink({ address: `unix:${path}`, timeout: 5_000, hostname: 'h' });
    const attack = buildEvent('allowed', { profile: 'p', argv: ['echo', `${'A'.repeat(65_468)}<1>MALLORY: fake`] }, T);
    expect(await sink.send([{ event: attack, line: JSON.stringify(attack), pid: 4242 }])).toEqual({ delivered: 1 });
    // An over-long line spooled before the bound (or planted): refused, never handed to logger.
    const old = { ...spooled('allowed', 1), line: JSON.stringify({ ...spooled('allowed', 1).event, argv: ['echo', `${'A'.repeat(65_468)}<1>MALLORY: fake`] }) };
    expect(await sink.send([old])).toMatchObject({ delivered: 0, problem: expect.stringMatching(/too long for logger/) });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const messages = Buffer.concat(chunks).toString().split('\n').filter(Boolean);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^<85>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d guard\[4242\]: \{"ts":/);
    expect(JSON.parse(messages[0]!.slice(messages[0]!.indexOf('{')))).toEqual(attack);
    expect(messages.join('\n')).not.toContain('MALLORY');
  });

  it('udp: a receiver that is down loses nothing: the probe is refused, not counted as sent', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'guard-syslog-')), 'state');
    for (let i = 0; i < 3; i++) spoolEvent(dir, 'syslog', spooled('allowed', i).line, T + i);
    const port = await freeUdpPort();
    const sink = createSyslogSink({ address: `udp://127.0.0.1:${port}`, timeout: 2_000, hostname: 'h' });
    for (let round = 0; round < 2; round++) {
      const result = await drainSpool(dir, [sink]);
      expect(result.sinks.syslog).toMatchObject({ sent: 0, problem: `syslog udp://127.0.0.1:${port}: ECONNREFUSED` });
      expect(queuedFiles(queueDir(dir, 'syslog'))).toHaveLength(3);
    }
    // Back up: every event arrives, in order.
    const server = createSocket('udp4');
    servers.push(server);
    const received: string[] = [];
    server.on('message', (message) => received.push(message.toString()));
    await new Promise<void>((resolve) => server.bind(port, '127.0.0.1', resolve));
    expect((await drainSpool(dir, [sink])).sinks.syslog).toMatchObject({ sent: 3 });
    for (let i = 0; i < 50 && received.length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(received.map((m) => JSON.parse(m.slice(m.indexOf('{'))).session_id)).toEqual(['s0', 's1', 's2']);
  });

  it('udp and unix: an event too large for the sink is dropped and counted, never blocking the queue', async () => {
    const server = createSocket('udp4');
    servers.push(server);
    const received: string[] = [];
    server.on('message', (message) => received.push(message.toString()));
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
    const path = join(mkdtempSync(join(tmpdir(), 'guard-syslog-')), 'log.sock');
    const unix = createServer((socket) => socket.resume());
    servers.push(unix);
    await new Promise<void>((resolve) => unix.listen(path, resolve));
    for (const address of [`udp://127.0.0.1:${server.address().port}`, `unix:${path}`]) {
      const dir = join(mkdtempSync(join(tmpdir(), 'guard-syslog-')), 'state');
      // A line from before events were bounded (or planted): past a datagram and logger's --size.
      const huge = JSON.stringify({ ...spooled('allowed', 0).event, argv: ['echo', 'A'.repeat(70_000)] });
      spoolEvent(dir, 'syslog', huge, T);
      for (let i = 1; i < 3; i++) spoolEvent(dir, 'syslog', spooled('allowed', i).line, T + i);
      const sink = createSyslogSink({ address, timeout: 5_000, hostname: 'h' });
      expect((await drainSpool(dir, [sink])).sinks.syslog).toMatchObject({ sent: 2, dropped: 1 });
      expect(queuedFiles(queueDir(dir, 'syslog'))).toEqual([]);
    }
  });

  it('doctor: opens TCP the way the sink does, and names the spool bound by its constant', async () => {
    const receiver = await tcpReceiver();
    const dir = join(mkdtempSync(join(tmpdir(), 'guard-syslog-')), 'state');
    const [up] = await checkAuditSinks(dir, { syslog: `tcp://127.0.0.1:${receiver.port}` }, T, 2_000);
    expect(up).toMatchObject({ status: 'pass', summary: expect.stringContaining(': reachable; 0 events waiting') });
    const port = await freePort();
    const [down] = await checkAuditSinks(dir, { syslog: `tcp://127.0.0.1:${port}` }, T, 2_000);
    expect(down).toMatchObject({ status: 'warn', summary: expect.stringContaining(': not reachable (ECONNREFUSED)') });
    expect(await connectTcp('127.0.0.1', port, 2_000)).toEqual({ problem: 'ECONNREFUSED' });
    // One connect for both (no copy to drift), and the bound from the drainer's constant.
    const source = readFileSync(fileURLToPath(new URL('../../src/doctor/check-audit.ts', import.meta.url)), 'utf8');
    expect(source).not.toMatch(/from 'node:net'/);
    expect(source).toContain('connectTcp(');
    expect(source).not.toMatch(/\b10_?000\b/);
    expect(source).toContain('${DEFAULT_MAX_SPOOLED}');
  });

  it('unix: a socket that is not there keeps every event, and says which', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'guard-syslog-')), 'log.sock');
    const sink = createSyslogSink({ address: `unix:${path}`, timeout: 5_000, hostname: 'h' });
    expect(await sink.send([spooled('allowed', 0), spooled('command_exit', 1)])).toEqual({ delivered: 0, problem: expect.stringMatching(new RegExp(`^the syslog socket ${path} refused the events \\(socket ${path}: No such file or directory\\)$`)) });
    const missing = createSyslogSink({ address: `unix:${path}`, timeout: 5_000, hostname: 'h', logger: '/nonexistent/logger' });
    expect((await missing.send([spooled('allowed')])).problem).toMatch(/^logger\(1\) is not installed \(Debian: bsdutils\)/);
  });
});
