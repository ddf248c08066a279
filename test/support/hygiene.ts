/**
 * Secret hygiene: no token may appear in any file guard wrote or in
 * anything it printed (SPEC §6, §7; STYLE rule 5).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';

function walk(path: string): string[] {
  let info;
  try {
    info = statSync(path);
  } catch {
    return [];
  }
  if (!info.isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => walk(join(path, name)));
}

/**
 * What must not appear of one token: all of it, or a telling part. A JWT's
 * header is the same for many tokens, so its payload and signature count;
 * an opaque token's first 20 characters count (a truncated token in a log
 * is still a leak).
 */
function fragments(secret: string): string[] {
  const parts = secret.split('.');
  if (parts.length === 3) return parts.slice(1).filter((part) => part.length >= 16);
  return secret.length >= 16 ? [secret.slice(0, 20)] : [];
}

/**
 * Every occurrence of a secret (or a telling part of one) in the files under
 * `dirs` or in `texts`, as "where: first 8 characters…" (never the whole
 * secret, so a failing test does not leak it either). Empty when clean.
 */
export function findSecrets(dirs: readonly string[], texts: readonly string[], secrets: Iterable<string>): string[] {
  const wanted = [...new Set([...secrets].flatMap(fragments))];
  const hits: string[] = [];
  const scan = (where: string, content: string) => {
    for (const secret of wanted) if (content.includes(secret)) hits.push(`${where}: ${secret.slice(0, 8)}…`);
  };
  for (const dir of dirs) for (const file of walk(dir)) scan(file, readFileSync(file, 'latin1'));
  texts.forEach((text, i) => scan(`output #${i}`, text));
  return hits;
}

/**
 * For a test file: the folders and outputs its tests record, checked after
 * all of them (vitest's afterAll) for any of `issued()`'s secrets. Register
 * it after the server that issues them, so it runs before that server stops.
 */
export function checkSecretsAfterAll(issued: () => Iterable<string>): { folders: string[]; outputs: string[] } {
  const recorded = { folders: [] as string[], outputs: [] as string[] };
  afterAll(() => {
    expect(findSecrets(recorded.folders, recorded.outputs, issued())).toEqual([]);
  });
  return recorded;
}
