/**
 * Doctor: the state folder (sessions, trust records, audit log) belongs to
 * this user and nobody else can read or change anything in it (SPEC §6, §8).
 * A failure here is class `auth` (77): guard refuses such session state.
 */
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { escapeControl } from '../util/text.ts';
import { shellLine } from '../util/shell-quote.ts';
import type { CheckResult } from './check.ts';

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

export function checkStateDir(dir: string, show: (path: string) => string): CheckResult[] {
  const label = `state folder ${escapeControl(show(dir))}`;
  let info: Stats;
  try {
    info = lstatSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [{ id: 'state', status: 'info', summary: `${label}: not created yet (the first sign-in makes it, mode 0700)` }];
    return [{ id: 'state', status: 'fail', class: 'auth', summary: `${label}: cannot be read (${(error as NodeJS.ErrnoException).code})`, fix: `check its owner and permissions: ${shellLine(['ls', '-ld', dir])}` }];
  }
  const problem = problemOf(info, true);
  if (problem) return [{ id: 'state', status: 'fail', class: 'auth', summary: `${label}: ${problem}`, fix: fixFor(dir, info, true) }];
  // The files and folders inside (sessions/, trust/, policy/, audit.jsonl…), two levels deep.
  for (const entry of walk(dir, 2)) {
    const entryProblem = problemOf(entry.info, entry.info.isDirectory());
    if (entryProblem) return [{ id: 'state', status: 'fail', class: 'auth', summary: `${label}: ${escapeControl(show(entry.path))} ${entryProblem}`, fix: fixFor(entry.path, entry.info, entry.info.isDirectory()) }];
  }
  return [{ id: 'state', status: 'pass', summary: `${label}: yours, mode ${octal(info.mode)}, nothing inside readable by others` }];
}

function problemOf(info: Stats, folder: boolean): string | undefined {
  if (typeof process.getuid === 'function' && info.uid !== process.getuid()) return `belongs to another user (uid ${info.uid})`;
  if (info.isSymbolicLink()) return 'is a symbolic link';
  if (folder && !info.isDirectory()) return 'is not a folder';
  if (info.mode & 0o002) return `is world-writable (mode ${octal(info.mode)}): anyone could change your sessions`;
  if (info.mode & 0o077) return `is open to other users (mode ${octal(info.mode)})`;
  return undefined;
}

function fixFor(path: string, info: Stats, folder: boolean): string {
  if (typeof process.getuid === 'function' && info.uid !== process.getuid()) return `remove it or point GUARD_STATE_DIR elsewhere (it is not yours): ${escapeControl(path)}`;
  if (info.isSymbolicLink() || (folder && !info.isDirectory())) return `remove ${escapeControl(path)}; guard makes it again`;
  return shellLine(['chmod', folder ? '700' : '600', path]);
}

function* walk(dir: string, depth: number): Generator<{ path: string; info: Stats }> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(dir, name);
    let info: Stats;
    try {
      info = lstatSync(path);
    } catch {
      continue; // removed meanwhile
    }
    yield { path, info };
    if (info.isDirectory() && depth > 1) yield* walk(path, depth - 1);
  }
}
