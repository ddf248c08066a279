/**
 * Is a store usable right now? A locked Secret Service answers "no entry" to
 * a read, so only a write proves it: a test entry is written and removed
 * under an account no profile can have. Throws what the store throws
 * (GuardError 'keychain' when it is unusable or locked).
 */
import type { Keychain, StoreKind } from './keychain.ts';

/** How guard names each store to people. */
export const STORE_NAMES: Record<StoreKind, string> = { 'secret-service': 'Secret Service', keyutils: 'kernel keyring (keyutils)' };

/** Not a profile name guard accepts (it starts with a dot). */
const PROBE_ACCOUNT = '.guard-doctor-probe';

export async function probeStore(keychain: Keychain, store: StoreKind): Promise<void> {
  await keychain.set(PROBE_ACCOUNT, store, { access_token: 'guard-doctor-probe' });
  await keychain.delete(PROBE_ACCOUNT, store);
}
