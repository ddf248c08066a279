/**
 * Doctor: the keychain each profile's tokens live in (SPEC §6) is reachable
 * and unlocked — by reading the profile's own entry, exactly as a guarded
 * command would (a locked or missing store is an error there, never a
 * silent fallback), and, when there is none, by writing and removing a test
 * entry.
 */
import type { Deps } from '../deps.ts';
import { escapeControl } from '../util/text.ts';
import { isGuardError } from '../errors.ts';
import type { Profile } from '../policy/types.ts';
import { probeStore, STORE_NAMES } from '../keychain/probe.ts';
import type { CheckResult } from './check.ts';
import { shellLine } from '../util/shell-quote.ts';


export async function checkKeychain(deps: Deps, profiles: readonly Profile[]): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const profile of profiles) {
    const label = `keychain for profile ${escapeControl(profile.name)}`;
    try {
      const keychain = await deps.keychain();
      const tokens = await keychain.get(profile.name, profile.store);
      if (!tokens) await probeStore(keychain, profile.store);
      results.push({ id: 'keychain', status: 'pass', summary: `${label}: ${STORE_NAMES[profile.store]} reachable and unlocked (${tokens ? 'holds a session' : 'no session stored; a test entry was written and removed'})` });
    } catch (error) {
      if (!isGuardError(error)) throw error;
      if (error.code === 'auth') {
        // A corrupt entry: the store itself works; signing out and in again replaces the entry.
        results.push({ id: 'keychain', status: 'fail', class: 'auth', summary: `${label}: the entry is corrupt`, fix: `${shellLine(['guard', 'logout', '--profile', profile.name])} && ${shellLine(['guard', 'login', '--profile', profile.name])}` });
        continue;
      }
      const [what, ...next] = error.message.split('; ');
      results.push({ id: 'keychain', status: 'fail', class: 'keychain', summary: `${label}: ${what}`, fix: next.join('; ') || 'start or unlock the keychain' });
    }
  }
  return results;
}
