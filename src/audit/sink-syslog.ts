/**
 * The syslog sink (`audit.syslog`, SPEC §16). Runs in the background
 * drainer only, never on a command's path.
 *
 * - `unix:PATH`: Node has no unix datagram sockets, and /dev/log (journald,
 *   rsyslog's imuxsock) is one. guard hands the events to logger(1)
 *   (util-linux, Essential on Debian), which writes syslog(3)'s format to
 *   the socket, datagram or stream. Measured here: a logger run for 1–200
 *   events takes 2.3–4.9 ms; the `unix-dgram` addon sends in microseconds
 *   but costs 13.5 ms to load in a fresh drainer, a compiler at install time,
 *   an install-script approval and a rebuild per Node ABI (docs/team-loop.md).
 *   With `--socket-errors=on` logger fails when nothing listens, so the
 *   events stay spooled. The drainer sends a queue's first event alone, as
 *   a probe (drain.ts): a socket that is down refuses it before the rest
 *   could half-arrive.
 * - `udp://`: RFC 5424 datagrams (RFC 5426), one per event, on a connected
 *   socket, so a refusal (ICMP port unreachable) stops the batch; the batch
 *   counts as taken only after a short wait for such a refusal, so the
 *   probe of a receiver that is down is never counted as sent. UDP has no
 *   acknowledgement: a datagram lost on the way is lost.
 * - `tcp://`: RFC 5424 with octet counting (RFC 6587). The events count as
 *   taken once the receiver closed the connection after reading them (it
 *   read up to our end of stream), or, when it does not close in time,
 *   once they left for the kernel without error.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { isIPv6, connect, type Socket } from 'node:net';
import { parseSyslogAddress } from '../util/syslog-address.ts';
import { escapeControl } from '../util/text.ts';
import type { SendResult, Sink, SpooledEvent } from './drain.ts';
import { APP_NAME, octetCounted, priorityPrefixed, rfc5424 } from './syslog-format.ts';

export interface SyslogSinkOptions {
  address: string;
  /** Per connection or logger run (ms). */
  timeout: number;
  /** The HOSTNAME of an event that has no `host`. */
  hostname: string;
  /** logger(1), from PATH unless given. */
  logger?: string;
}

type Sent = SendResult;

/**
 * How long a UDP batch waits, after its last datagram, for a refusal before
 * it counts as taken. A local or LAN receiver's ICMP answer comes within a
 * millisecond or two (8 ms measured here on loopback under load); a
 * receiver farther away that is down may still lose a batch, as UDP may.
 */
const UDP_CONFIRM_MS = 50;
/** The largest UDP payload over IPv4 (65,535 − 8 − 20); buildEvent keeps every event far below it. */
const MAX_DATAGRAM = 65_507;

/** Largest message logger accepts with --size (rsyslog's own default limit is 8 KiB; docs/team-loop.md sets 64k). */
const LOGGER_SIZE = 65_536;

/** Runs logger once for events of one guard process; a problem, or undefined when the socket took them all. */
function runLogger(logger: string, path: string, pid: number, events: readonly SpooledEvent[], timeout: number): Promise<string | undefined> {
  const args = ['--socket', path, '--socket-errors=on', '--prio-prefix', '--tag', APP_NAME, `--id=${pid}`, '--size', String(LOGGER_SIZE)];
  return new Promise((resolve) => {
    const child = spawn(logger, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(0, 500)));
    child.stdin.on('error', () => undefined); // logger died first: its exit says why
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code === 'ENOENT' ? `logger(1) is not installed (Debian: bsdutils), so the socket ${path} cannot be reached` : `logger(1) could not start (${error.code ?? error.message})`);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(undefined);
      else if (signal) resolve(`the syslog socket ${path} did not take the events within ${timeout / 1000}s`);
      else resolve(`the syslog socket ${path} refused the events (${escapeControl(stderr.trim().split('\n')[0]?.replace(/^logger: /, '') || `logger exit ${code}`)})`);
    });
    child.stdin.end(events.map((spooled) => `${priorityPrefixed(spooled)}\n`).join(''));
  });
}

/**
 * Does logger take the line whole? It splits a message of `--size` bytes or
 * more and reads a `<N>` at the start of the rest as a new priority (a
 * forged message). buildEvent keeps every line far below (event.ts); a
 * longer one (a planted spool file, an older guard's line) is never handed over.
 */
export function fitsLogger(spooled: SpooledEvent): boolean {
  return Buffer.byteLength(priorityPrefixed(spooled)) < LOGGER_SIZE;
}

async function viaLogger(logger: string, path: string, events: readonly SpooledEvent[], timeout: number): Promise<Sent> {
  let delivered = 0;
  while (delivered < events.length) {
    if (!fitsLogger(events[delivered]!)) return { delivered, refused: true, problem: `an event of ${Buffer.byteLength(events[delivered]!.line)} bytes is too long for logger(1) (--size ${LOGGER_SIZE})` };
    // One logger run per guard process (its pid is the PROCID of each message); the drainer sends its first event alone (the probe).
    const pid = events[delivered]!.pid;
    let end = delivered + 1;
    while (end < events.length && events[end]!.pid === pid && fitsLogger(events[end]!)) end++;
    const problem = await runLogger(logger, path, pid, events.slice(delivered, end), timeout);
    if (problem) return { delivered, problem };
    delivered = end;
  }
  return { delivered };
}

function viaUdp(host: string, port: number, messages: readonly string[], timeout: number, label: string): Promise<Sent> {
  return new Promise((resolve) => {
    const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    let delivered = 0;
    let done = false;
    const finish = (problem?: string, refused = false) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        socket.close();
      } catch {
        // closed already by its error
      }
      resolve(problem === undefined ? { delivered } : { delivered, problem, ...(refused ? { refused } : {}) });
    };
    const timer = setTimeout(() => finish(`${label} did not take the events within ${timeout / 1000}s`), timeout);
    socket.once('error', (error: NodeJS.ErrnoException) => {
      // A refusal (ICMP port unreachable) arrives after the datagram it answers: the last one
      // sent may be the one refused, so it does not count as taken (it may then arrive twice).
      delivered = Math.max(0, delivered - 1);
      finish(`${label}: ${error.code ?? error.message}`);
    });
    const next = () => {
      // All sent: a moment for a refusal to come back before they count as taken (the confirmation).
      if (delivered === messages.length) return void setTimeout(() => finish(), Math.min(UDP_CONFIRM_MS, timeout));
      // Too large for any datagram: no receiver will ever take it.
      if (Buffer.byteLength(messages[delivered]!) > MAX_DATAGRAM) return finish(`${label}: a message of ${Buffer.byteLength(messages[delivered]!)} bytes does not fit in a datagram`, true);
      socket.send(messages[delivered]!, (error) => {
        const code = (error as NodeJS.ErrnoException | null)?.code;
        if (error) return finish(`${label}: ${code ?? error.message}`, code === 'EMSGSIZE'); // this one was not sent
        delivered++;
        next();
      });
    };
    socket.connect(port, host, next);
  });
}

/**
 * Opens a TCP connection within `timeout` ms: the socket, or why not (an
 * errno code such as ECONNREFUSED, or `no answer within Ns`). The sink
 * sends on it; `guard doctor` opens one to see whether the receiver is there.
 */
export function connectTcp(host: string, port: number, timeout: number): Promise<{ socket: Socket } | { problem: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const fail = (problem: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ problem });
    };
    const timer = setTimeout(() => fail(`no answer within ${timeout / 1000}s`), timeout);
    socket.once('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error'); // the caller listens from here on (no event can come before it does)
      resolve({ socket });
    });
  });
}

async function viaTcp(host: string, port: number, messages: readonly string[], timeout: number, label: string): Promise<Sent> {
  const started = Date.now();
  const opened = await connectTcp(host, port, timeout);
  if ('problem' in opened) return { delivered: 0, problem: opened.problem.startsWith('no answer') ? `${label} did not answer within ${timeout / 1000}s` : `${label}: ${opened.problem}` };
  const { socket } = opened;
  return new Promise((resolve) => {
    let flushed = false;
    let done = false;
    const finish = (result: Sent) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const left = Math.max(0, timeout - (Date.now() - started));
    const timer = setTimeout(() => finish(flushed ? { delivered: messages.length } : { delivered: 0, problem: `${label} did not answer within ${timeout / 1000}s` }), left);
    socket.once('error', (error: NodeJS.ErrnoException) => finish({ delivered: 0, problem: `${label}: ${error.code ?? error.message}` }));
    socket.once('close', () => finish(flushed ? { delivered: messages.length } : { delivered: 0, problem: `${label} closed the connection early` }));
    socket.end(messages.map(octetCounted).join(''), () => (flushed = true));
    socket.resume(); // whatever the receiver says is read and dropped, so its close is seen
  });
}

export function createSyslogSink(options: SyslogSinkOptions): Sink {
  const address = parseSyslogAddress(options.address);
  if ('problem' in address) throw new Error(`bad audit.syslog address ${JSON.stringify(options.address)}: ${address.problem}`);
  const label = `syslog ${options.address}`;
  return {
    name: 'syslog',
    label,
    send: async (events) => {
      if (address.kind === 'unix') return viaLogger(options.logger ?? 'logger', address.path, events, options.timeout);
      const messages = events.map((spooled) => rfc5424(spooled, options.hostname));
      return address.kind === 'udp'
        ? viaUdp(address.host, address.port, messages, options.timeout, label)
        : viaTcp(address.host, address.port, messages, options.timeout, label);
    },
  };
}
