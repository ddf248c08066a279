/**
 * The aliases of the last valid configuration guard saw, per user config
 * file, kept in the state folder (SPEC §14 "Shell functions fail closed"):
 * when a config typo makes the configuration invalid, `guard shell-init`
 * still defines these functions, and each refuses (78) until the config is
 * fixed, instead of leaving the bare programs to run unguarded.
 *
 * `guard shell-init` remembers the aliases of each valid configuration it
 * reads — every new shell after an edit runs it — and writes the file only
 * when the list changed; no other command pays for it.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../files/atomic-write.ts';
import { ensurePrivateDir, parseJsonObject, readPrivateFile } from '../files/private-file.ts';

/** What `shell-init` defines for a configuration it never saw valid. */
export const DEFAULT_ALIASES: readonly string[] = ['kubectl', 'psql'];

/** A bound on the config files remembered (one is the common case; tests and --config add more). */
const KEEP = 16;

export function shellStateDir(stateDir: string): string {
  return join(stateDir, 'shell');
}

function aliasesFile(stateDir: string): string {
  return join(shellStateDir(stateDir), 'aliases.json');
}

/** Config file → its aliases, most recently changed last; empty when the file is missing, corrupt or not private. */
function readAll(stateDir: string): Map<string, string[]> {
  const file = readPrivateFile(aliasesFile(stateDir));
  const value = 'text' in file ? parseJsonObject(file.text) : undefined;
  const configs = value?.configs;
  const all = new Map<string, string[]>();
  if (!configs || typeof configs !== 'object' || Array.isArray(configs)) return all;
  for (const [config, aliases] of Object.entries(configs)) {
    if (Array.isArray(aliases) && aliases.every((alias) => typeof alias === 'string')) all.set(config, aliases as string[]);
  }
  return all;
}

/** The aliases of the last valid configuration read from `userConfig`, if guard ever saw one. */
export function lastAliases(stateDir: string, userConfig: string): string[] | undefined {
  return readAll(stateDir).get(userConfig);
}

/** Records the aliases of a valid configuration (best effort: a read-only state folder only loses this safety net). */
export function rememberAliases(stateDir: string, userConfig: string, configured: readonly string[]): void {
  const aliases = [...new Set(configured)];
  const all = readAll(stateDir);
  const known = all.get(userConfig);
  if (known && known.length === aliases.length && known.every((alias, i) => alias === aliases[i])) return;
  all.delete(userConfig);
  all.set(userConfig, aliases);
  const kept = [...all].slice(-KEEP);
  try {
    ensurePrivateDir(shellStateDir(stateDir));
    writeFileAtomic(aliasesFile(stateDir), `${JSON.stringify({ version: 1, configs: Object.fromEntries(kept) })}\n`, { durable: false });
  } catch {
    // Without it, a broken config falls back to DEFAULT_ALIASES: still closed for kubectl and psql.
  }
}
