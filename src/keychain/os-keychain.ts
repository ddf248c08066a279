/**
 * The OS keychain through @napi-rs/keyring, pinned to one Linux store so it
 * never silently falls back (RECIPES: Secret Service, or keyutils only when a
 * profile asks for it). The native addon loads only when a secret is needed.
 */
import { createRequire } from 'node:module';
import { GuardError } from '../errors.ts';
import { KEYCHAIN_SERVICE, parseTokenSet, type Keychain, type StoreKind } from './keychain.ts';
import { shellLine } from '../util/shell-quote.ts';
import { embeddedKeyring } from '../util/runtime.ts';

type KeyringModule = typeof import('@napi-rs/keyring');

const TIMEOUT_MS = 5_000;

/**
 * The package's own loader first tells glibc from musl (reading /usr/bin/ldd,
 * ~2 ms); on the common glibc Linux the prebuilt binding is loaded directly,
 * and anything else goes through that loader.
 */
function loadKeyring(load: NodeJS.Require): KeyringModule {
  if (process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64')) {
    try {
      return load(`@napi-rs/keyring-linux-${process.arch}-gnu`) as KeyringModule;
    } catch {
      // not installed (musl, or another layout): use the package's loader
    }
  }
  return load('@napi-rs/keyring') as KeyringModule;
}

export function createOsKeychain(): Keychain {
  let keyring: KeyringModule;
  try {
    // A native addon: inside the compiled binary, else kept outside the bundle and loaded by the
    // bundle's own require where there is one (the CommonJS core, the lazy parts' banner), else one for this module.
    keyring = (embeddedKeyring() as KeyringModule | undefined) ?? loadKeyring(typeof require === 'function' ? require : createRequire(import.meta.url));
  } catch (error) {
    throw new GuardError('keychain', 'the keychain library could not be loaded; reinstall guard (npm ci, without --omit=optional)', { cause: error });
  }
  const entry = (profile: string, store: StoreKind) =>
    new keyring.AsyncEntry(KEYCHAIN_SERVICE, profile, { linux: { store } });

  const call = async <T>(store: StoreKind, what: string, op: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    try {
      return await op(AbortSignal.timeout(TIMEOUT_MS));
    } catch (error) {
      throw keychainError(store, what, error);
    }
  };

  const getSecret = async (account: string, store: StoreKind): Promise<string | undefined> =>
    (await call(store, 'read', (signal) => entry(account, store).getPassword(signal))) ?? undefined;
  const setSecret = async (account: string, store: StoreKind, text: string): Promise<void> => {
    await call(store, 'write', (signal) => entry(account, store).setPassword(text, signal));
  };

  return {
    async get(profile, store) {
      const text = await getSecret(profile, store);
      if (text === undefined) return undefined;
      const tokens = parseTokenSet(text);
      if (!tokens) throw new GuardError('auth', `the keychain entry for profile "${profile}" is corrupt; run: ${shellLine(['guard', 'logout', '--profile', profile])} && ${shellLine(['guard', 'login', '--profile', profile])}`);
      return tokens;
    },
    set: (profile, store, tokens) => setSecret(profile, store, JSON.stringify(tokens)),
    async delete(profile, store) {
      return call(store, 'delete', (signal) => entry(profile, store).deletePassword(signal));
    },
    getSecret,
    setSecret,
  };
}

function keychainError(store: StoreKind, what: string, error: unknown): GuardError {
  const text = error instanceof Error ? error.message : String(error);
  const name = store === 'secret-service' ? 'Secret Service keychain' : 'kernel keyring (keyutils)';
  let why = 'is not available';
  // A locked keychain is there and only needs unlocking: suggesting another one would mislead.
  const locked = /lock/i.test(text);
  if (locked) why = 'is locked; unlock it (e.g. log in to the desktop, or gnome-keyring-daemon --unlock) and try again';
  else if (/abort|timeout/i.test(text)) why = `did not answer within ${TIMEOUT_MS / 1000}s`;
  else if (/DBUS_SESSION_BUS_ADDRESS|dbus|org\.freedesktop/i.test(text)) why = 'is not reachable (no D-Bus session or no Secret Service running)';
  const next = store === 'secret-service' && !locked ? '; start one (gnome-keyring, KeePassXC) or set "store: keyutils" for this profile' : '';
  return new GuardError('keychain', `cannot ${what} the ${name}: it ${why}${next}`, { cause: error, detail: text.split('\n')[0] });
}
