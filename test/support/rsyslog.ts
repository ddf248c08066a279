/**
 * Debian's rsyslogd, started by a test as its own unprivileged processes
 * (`nobody` when the tests run as root), each with its own config, work
 * folder and pid file, in the foreground (`-n`), with no kernel log and no
 * /dev/log:
 * - a collector: imtcp on 127.0.0.1 (RFC 5424, octet-counted or not), one
 *   file per sending host (`hosts/<HOSTNAME>.log`, rsyslog's file format),
 *   and every message exactly as received in `raw.log`;
 * - a laptop relay: imuxsock on a private socket (what /dev/log is on a
 *   laptop), every message as received in `raw.log`, and authpriv forwarded
 *   to the collector over TCP, octet-counted, as RFC 5424.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.ts';

const RSYSLOGD = '/usr/sbin/rsyslogd';

export interface Rsyslog {
  dir: string;
  /** Every message as it arrived (rsyslog's %rawmsg%), one a line. */
  raw(): string[];
  stop(): Promise<void>;
  /** Starts it again with the same config (after stop). */
  start(): Promise<void>;
}

export interface Collector extends Rsyslog {
  port: number;
  /** The per-host files: host name → lines. */
  hosts(): Map<string, string[]>;
  hostsDir: string;
}

export interface Relay extends Rsyslog {
  socket: string;
}

/** `nobody`'s uid and gid when the tests run as root (rsyslogd then runs as nobody), else undefined. */
function unprivileged(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

function workDir(name: string): string {
  const base = mkdtempSync(join(tmpdir(), `guard-rsyslog-${name}-`));
  chmodSync(base, 0o755); // nobody must reach its folder inside
  const dir = join(base, 'rsyslog');
  mkdirSync(dir);
  const owner = unprivileged();
  if (owner) chownSync(dir, owner.uid, owner.gid);
  return dir;
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((line) => line !== '') : []);

async function until(what: string, ready: () => boolean | Promise<boolean>, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await ready())) {
    if (child.exitCode !== null) throw new Error(`rsyslogd exited (${child.exitCode}) before ${what}: ${output()}`);
    if (Date.now() > deadline) throw new Error(`rsyslogd: timed out waiting for ${what}: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function run(dir: string, config: string, ready: (child: ChildProcess, output: () => string) => Promise<void>): Omit<Rsyslog, 'dir'> {
  const file = join(dir, 'rsyslog.conf');
  writeFileSync(file, config, { mode: 0o644 });
  let child: ChildProcess | undefined;
  const owner = unprivileged();
  const pidFile = join(dir, 'rsyslogd.pid');
  const start = async () => {
    const argv = [RSYSLOGD, '-n', '-f', file, '-i', pidFile];
    child = owner ? spawn('runuser', ['-u', 'nobody', '--', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    await ready(child, () => output);
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return resolve();
      running.once('exit', () => resolve());
      // rsyslogd itself (its pid file), so runuser reaps it and exits; else whatever was started.
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : NaN;
      try {
        process.kill(Number.isSafeInteger(pid) && pid > 0 ? pid : running.pid!, 'SIGTERM');
      } catch {
        running.kill('SIGTERM');
      }
    });
  return { raw: () => lines(join(dir, 'raw.log')), stop, start };
}

export async function startCollector(): Promise<Collector> {
  const dir = workDir('collector');
  const port = await freePort();
  const hostsDir = join(dir, 'hosts');
  const config = `global(workDirectory="${dir}" maxMessageSize="64k")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="${port}" ruleset="collect")
template(name="perHost" type="string" string="${hostsDir}/%HOSTNAME:::secpath-replace%.log")
template(name="raw" type="string" string="%rawmsg%\\n")
ruleset(name="collect") {
  action(type="omfile" file="${dir}/raw.log" template="raw")
  action(type="omfile" dynaFile="perHost" template="RSYSLOG_FileFormat" dirCreateMode="0755" createDirs="on")
}
`;
  const control = run(dir, config, (child, output) => until(`port ${port}`, () => accepts(port), child, output));
  await control.start();
  return {
    dir,
    port,
    hostsDir,
    ...control,
    hosts: () => new Map((existsSync(hostsDir) ? readdirSync(hostsDir) : []).map((name) => [name.replace(/\.log$/, ''), lines(join(hostsDir, name))])),
  };
}

export async function startRelay(options: { hostname: string; collectorPort: number }): Promise<Relay> {
  const dir = workDir(options.hostname);
  const socket = join(dir, 'log.sock');
  const config = `global(workDirectory="${dir}" maxMessageSize="64k" localHostname="${options.hostname}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="${socket}" CreatePath="on")
template(name="raw" type="string" string="%rawmsg%\\n")
action(type="omfile" file="${dir}/raw.log" template="raw")
authpriv.* action(type="omfwd" target="127.0.0.1" port="${options.collectorPort}" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
`;
  const control = run(dir, config, (child, output) => until(`the socket ${socket}`, () => existsSync(socket), child, output));
  await control.start();
  return { dir, socket, ...control };
}
