// guard keeps tokens in the OS keychain. On a headless machine with no
// Secret Service session, re-run the calling script inside a private,
// unlocked gnome-keyring (scripts/with-keyring.sh). Never returns in that case.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export function ensureKeyringSession(scriptUrl, label) {
  if (process.env.DBUS_SESSION_BUS_ADDRESS || process.env.GUARD_IN_KEYRING_SESSION) return;
  const which = spawnSync('sh', ['-c', 'command -v dbus-run-session && command -v gnome-keyring-daemon'], { encoding: 'utf8' });
  if (which.status !== 0) {
    console.error(`${label}: no desktop keychain session and no gnome-keyring to start one (apt-get install dbus gnome-keyring)`);
    process.exit(69);
  }
  console.error(`${label}: no keychain session found; starting a private gnome-keyring`);
  const withKeyring = fileURLToPath(new URL('../with-keyring.sh', import.meta.url));
  const child = spawnSync(withKeyring, [process.execPath, fileURLToPath(scriptUrl), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}

/** Starts scripts/dev-idp.mjs as a child; resolves with { issuer, child }. Its notices are kept unless it fails. */
export async function spawnDevIdp(spawn, args = []) {
  const { ready, child } = await spawnReady(spawn, 'dev-idp.mjs', 'GUARD_IDP_READY', args);
  return { issuer: ready.issuer, child };
}

/** Starts scripts/NAME as a child and waits for its `TAG {json}` line on stdout. */
export async function spawnReady(spawn, name, tag, args = []) {
  const script = fileURLToPath(new URL(`../${name}`, import.meta.url));
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr.on('data', (chunk) => (log += chunk));
  const ready = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = new RegExp(`${tag} (\\{.*\\})`).exec(out);
      if (match) resolve(JSON.parse(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`scripts/${name} exited (${code}): ${log}`)));
  });
  child.stdout.resume();
  return { ready, child };
}
