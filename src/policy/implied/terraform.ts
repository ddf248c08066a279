/**
 * terraform's target (SPEC §14): the selected workspace, from TF_WORKSPACE
 * or `.terraform/environment` (trimmed) under `-chdir=` (and TF_DATA_DIR,
 * relative to that folder), else `default` — what `terraform workspace
 * show` prints (test/integration/cloud-oracles.test.ts). terraform has no
 * flag naming the workspace: the word is implied whatever argv says. Pure.
 */
import { isAbsolute, join } from 'node:path';
import { showPath } from './home-dir.ts';
import type { ImpliedReader, ImpliedWord } from './implied-types.ts';
import { typedFlag } from './typed-flag.ts';

export function terraformWords(argv: readonly string[], needed: ReadonlySet<string>, reader: ImpliedReader): ImpliedWord[] {
  if (!needed.has('--workspace')) return [];
  if (reader.env.TF_WORKSPACE) return [{ name: '--workspace', value: reader.env.TF_WORKSPACE, source: 'TF_WORKSPACE' }];
  const chdir = typedFlag(argv, ['-chdir', '--chdir']);
  if (chdir.unsure) return [{ name: '--workspace', value: undefined, source: 'argv', problem: 'argv may name another folder (-chdir)' }];
  const base = chdir.value === undefined ? reader.cwd : isAbsolute(chdir.value) ? chdir.value : join(reader.cwd, chdir.value);
  const dataDir = reader.env.TF_DATA_DIR ? (isAbsolute(reader.env.TF_DATA_DIR) ? reader.env.TF_DATA_DIR : join(base, reader.env.TF_DATA_DIR)) : join(base, '.terraform');
  const file = join(dataDir, 'environment');
  const source = showPath(file, reader);
  const read = reader.readText(file);
  if ('problem' in read) return [{ name: '--workspace', value: undefined, source, problem: `cannot read ${source} (${read.problem})` }];
  // No file: terraform's own default workspace.
  return [{ name: '--workspace', value: 'missing' in read ? 'default' : read.text.trim() || 'default', source: 'missing' in read ? 'terraform default' : source }];
}
