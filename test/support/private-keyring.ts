/**
 * A private D-Bus session bus, optionally with its own unlocked
 * gnome-keyring, for keychain faults that must not disturb the shared
 * keyring other tests use (locking it, or having no Secret Service at all).
 * The bus has no service directories, so nothing is started by D-Bus
 * activation behind the test's back (RECIPES: an activated second daemon
 * is locked). Both daemons are this helper's children and stop with it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrivateKeyring {
  /** Point a guard process at this bus (and its keyring). */
  env: { DBUS_SESSION_BUS_ADDRESS: string; XDG_DATA_HOME: string; XDG_RUNTIME_DIR: string };
  /** Locks the login collection over D-Bus (Secret Service `Lock`). */
  lock(): void;
  /** Is the login collection locked? */
  locked(): boolean;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function dbusSend(env: NodeJS.ProcessEnv, args: string[]): string {
  const result = spawnSync('dbus-send', ['--session', '--print-reply', ...args], { env, encoding: 'utf8', timeout: 5_000 });
  return `${result.stdout}${result.stderr}`;
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export async function startPrivateKeyring(options: { secretService?: boolean } = {}): Promise<PrivateKeyring> {
  const dir = mkdtempSync(join(tmpdir(), 'guard-bus-'));
  const config = join(dir, 'bus.conf');
  writeFileSync(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${join(dir, 'bus')}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
  );
  const bus = spawn('dbus-daemon', ['--config-file', config, '--nofork', '--print-address=1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    bus.stdout!.on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) resolve(out.split('\n')[0]!.trim());
    });
    bus.once('exit', (code) => reject(new Error(`dbus-daemon exited (${code})`)));
  });
  const env = {
    DBUS_SESSION_BUS_ADDRESS: address,
    XDG_DATA_HOME: mkdtempSync(join(dir, 'data-')),
    XDG_RUNTIME_DIR: mkdtempSync(join(dir, 'run-')),
  };
  const childEnv = { PATH: process.env.PATH, HOME: dir, ...env };
  let keyring: ChildProcess | undefined;
  if (options.secretService !== false) {
    // A fresh keyring folder and a non-empty password, or no login collection is made (RECIPES).
    keyring = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], { env: childEnv, stdio: ['pipe', 'ignore', 'ignore'] });
    keyring.stdin!.end(`private-${process.pid}`);
    for (let i = 0; i < 100 && !dbusSend(childEnv, ['--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.secrets']).includes('boolean true'); i++) {
      await sleep(50);
    }
  }
  const collection = '/org/freedesktop/secrets/collection/login';
  return {
    env,
    lock() {
      dbusSend(childEnv, ['--dest=org.freedesktop.secrets', '/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.Lock', `array:objpath:${collection}`]);
    },
    locked() {
      return dbusSend(childEnv, ['--dest=org.freedesktop.secrets', collection, 'org.freedesktop.DBus.Properties.Get', 'string:org.freedesktop.Secret.Collection', 'string:Locked']).includes('boolean true');
    },
    async stop() {
      if (keyring) await stopChild(keyring);
      await stopChild(bus);
    },
  };
}
