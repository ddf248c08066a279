/**
 * Reads one kubeconfig's facts (current context, contexts, clusters), cached in the
 * state folder under the file's path, inode, size and mtime, the way parsed
 * configuration layers are (layer-cache.ts): a valid session's
 * `guard run -- kubectl …` then loads no YAML parser. Like git's "racily
 * clean" index entries, an entry made less than RACY_MS after the file's
 * mtime is not trusted, so two writes within one timestamp tick (the same
 * size, the same mtime) cannot leave a stale context behind.
 *
 * @see https://git-scm.com/docs/racy-git
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../files/atomic-write.ts';
import { fingerprint } from '../../util/builtins.ts';
import { ensurePrivateDir, parseJsonObject, readPrivateFile } from '../../files/private-file.ts';
import { VERSION } from '../../version.ts';
import { pruneCache } from '../layer-cache.ts';
import type { KubeFacts, KubeRead } from './kubeconfig.ts';

/** Bumped when the facts read from the same text change (3: YAML merge keys applied). */
const FORMAT = 3;
/** File timestamps move in coarse ticks (a few ms); this is well above one. */
const RACY_MS = 1_000;

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code ?? 'error';

export async function readKubeconfigCached(stateDir: string, path: string, now: number): Promise<KubeRead> {
  let info;
  try {
    info = statSync(path);
  } catch (error) {
    return errorCode(error) === 'ENOENT' ? { missing: true } : { problem: errorCode(error) };
  }
  if (!info.isFile()) return { problem: 'not a regular file' };
  const key = `${VERSION}\0${FORMAT}\0${path}\0${info.dev}\0${info.ino}\0${info.size}\0${info.mtimeMs}`;
  const cacheFile = join(stateDir, 'cache', `kube-${fingerprint(key)}.json`);
  const cached = readPrivateFile(cacheFile);
  if ('text' in cached) {
    const entry = parseJsonObject(cached.text) as { key?: unknown; read_at?: unknown; facts?: KubeFacts } | undefined;
    if (entry?.key === key && typeof entry.read_at === 'number' && entry.read_at - info.mtimeMs > RACY_MS && entry.facts) return { facts: entry.facts };
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { problem: errorCode(error) };
  }
  const { parseKubeconfig } = await import('./parse-kubeconfig.ts');
  const read = parseKubeconfig(text);
  if ('facts' in read) {
    try {
      ensurePrivateDir(join(stateDir, 'cache'));
      writeFileAtomic(cacheFile, JSON.stringify({ key, read_at: now, facts: read.facts }));
      pruneCache(join(stateDir, 'cache'), 'kube-');
    } catch {
      // The cache only saves time.
    }
  }
  return read;
}
