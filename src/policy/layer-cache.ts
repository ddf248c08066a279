/**
 * Parsed configuration layers, cached in the state folder under a
 * fingerprint of guard's version, the layer's kind and file, and its text;
 * an entry also holds that exact text and is used only when it matches. A valid
 * session's `guard run` then never loads the YAML parser (~10 ms of start-up,
 * see docs/performance.md). Any edit changes the hash; a cache file that is
 * unreadable, corrupt or writable by others is ignored, never trusted.
 */
import { readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../files/atomic-write.ts';
import { VERSION } from '../version.ts';
import { fingerprint } from '../util/builtins.ts';
import { ensurePrivateDir, parseJsonObject, readPrivateFile } from '../files/private-file.ts';
import type { ParsedLayer } from './parse-layer.ts';
import type { LayerKind } from './types.ts';

const FORMAT = 2;
const KEEP = 32;

function cacheDir(stateDir: string): string {
  return join(stateDir, 'cache');
}

function readCached(path: string, source: string): ParsedLayer | undefined {
  const file = readPrivateFile(path);
  if (!('text' in file)) return undefined;
  const value = parseJsonObject(file.text) as { format?: unknown; source?: unknown; parsed?: ParsedLayer } | undefined;
  return value?.format === FORMAT && value.source === source && value.parsed && Array.isArray(value.parsed.issues) ? value.parsed : undefined;
}

/** Keeps the newest KEEP entries named `prefix…`: old configurations' entries do not pile up. */
export function pruneCache(dir: string, prefix = 'layer-'): void {
  const entries = readdirSync(dir).filter((name) => name.startsWith(prefix));
  if (entries.length <= KEEP) return;
  const byAge = entries.map((name) => ({ name, mtime: statSync(join(dir, name)).mtimeMs })).sort((a, b) => b.mtime - a.mtime);
  for (const { name } of byAge.slice(KEEP)) unlinkSync(join(dir, name));
}

export async function parseLayerCached(stateDir: string, text: string, file: string, kind: LayerKind): Promise<ParsedLayer> {
  const source = `${VERSION}\0${FORMAT}\0${kind}\0${file}\0${text}`;
  const path = join(cacheDir(stateDir), `layer-${fingerprint(source)}.json`);
  const cached = readCached(path, source);
  if (cached) return cached;
  const { parseLayer } = await import('./parse-layer.ts');
  const parsed = parseLayer(text, file, kind);
  try {
    ensurePrivateDir(cacheDir(stateDir));
    writeFileAtomic(path, JSON.stringify({ format: FORMAT, source, parsed }));
    pruneCache(cacheDir(stateDir));
  } catch {
    // The cache only saves time: without it guard parses every time.
  }
  return parsed;
}
