// Where the demo keeps its tokens: an explicit choice written into the demo's
// own config (guard itself never falls back from one store to another).
//
// On Linux the demo uses the kernel keyring (`store: keyutils`) inside a
// session keyring of its own, so it needs no desktop keychain and leaves
// nothing behind: the keyring ends with the demo. A fresh machine has no
// `keyctl` to create one, so python3 joins a new session keyring through
// libkeyutils (keyctl_join_session_keyring(NULL), keyctl(2)) and then execs
// the demo again. Without python3 or libkeyutils the demo starts a private
// gnome-keyring (scripts/with-keyring.sh) where one is installed.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const JOIN_SESSION_KEYRING = [
  'import ctypes, os, sys',
  "lib = ctypes.CDLL('libkeyutils.so.1', use_errno=True)",
  'lib.keyctl_join_session_keyring.restype = ctypes.c_long',
  "if lib.keyctl_join_session_keyring(None) < 0: sys.exit('cannot create a session keyring: ' + os.strerror(ctypes.get_errno()))",
  'if len(sys.argv) > 1: os.execv(sys.argv[1], sys.argv[1:])',
].join('\n');

const MARKER = 'GUARD_DEMO_STORE';

/**
 * Resolves with the store for the demo's config and a one-line description,
 * or re-runs the calling script where a store works and exits with its code
 * (the promise then never resolves).
 * @param {string} scriptUrl import.meta.url of the calling script
 * @returns {Promise<{ store?: 'keyutils' | 'secret-service', says: string }>}
 */
export async function chooseDemoStore(scriptUrl) {
  const chosen = process.env[MARKER];
  if (chosen === 'keyutils') return { store: 'keyutils', says: 'tokens go to the kernel keyring ("store: keyutils" in the demo\'s config), in a session keyring that ends with the demo' };
  if (chosen === 'secret-service') return { store: 'secret-service', says: 'tokens go to a private gnome-keyring ("store: secret-service" in the demo\'s config) that ends with the demo' };
  if (process.platform !== 'linux') return { says: 'tokens go to the OS keychain' };

  const script = fileURLToPath(scriptUrl);
  const args = process.argv.slice(2);
  const probe = spawnSync('python3', ['-c', JOIN_SESSION_KEYRING], { stdio: 'ignore' });
  if (probe.status === 0) return rerun('python3', ['-c', JOIN_SESSION_KEYRING, process.execPath, script, ...args], 'keyutils');
  if (spawnSync('sh', ['-c', 'command -v dbus-run-session && command -v gnome-keyring-daemon'], { stdio: 'ignore' }).status === 0) {
    return rerun(fileURLToPath(new URL('../with-keyring.sh', import.meta.url)), [process.execPath, script, ...args], 'secret-service');
  }
  console.error('demo: no keychain to use: install python3 and libkeyutils1 (the kernel keyring), or gnome-keyring');
  process.exit(69);
}

/** Runs the script again with the store chosen and exits with its code; the returned promise never resolves. */
function rerun(command, args, store) {
  const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, [MARKER]: store } });
  // Ctrl-C reaches the whole foreground group: the demo inside cleans up and reports.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => undefined);
  child.once('exit', (code, signal) => process.exit(code ?? 128 + (signal === 'SIGINT' ? 2 : 15)));
  return new Promise(() => undefined);
}
