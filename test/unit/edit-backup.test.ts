/** The backup beside a file guard edits (guard kubeconfig, guard aws-config): what --undo has to go on. */
import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { editBackupPath, readEditBackup, writeEditBackup } from '../../src/files/edit-backup.ts';
import { codeOf } from '../support/error-code.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const fileIn = () => {
  const dir = mkdtempSync(join(tmpdir(), 'guard-backup-'));
  dirs.push(dir);
  return join(dir, 'config');
};
const isUser = (value: unknown) => typeof (value as { user?: unknown } | null)?.user === 'string';

describe('the backup beside an edited file', () => {
  it('keeps every entry, one named __proto__ too, in a private file; the last undo removes it', () => {
    const file = fileIn();
    expect(readEditBackup(file, 'contexts', isUser)).toEqual({});
    const entries = readEditBackup<{ user: string }>(file, 'contexts', isUser);
    entries['__proto__'] = { user: 'vendor' };
    entries.prod = { user: 'prod-admin' };
    writeEditBackup(file, 'contexts', entries);
    expect(statSync(editBackupPath(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(editBackupPath(file), 'utf8'))).toEqual({ version: 1, contexts: JSON.parse('{"__proto__":{"user":"vendor"},"prod":{"user":"prod-admin"}}') });
    const back = readEditBackup<{ user: string }>(file, 'contexts', isUser);
    expect(Object.keys(back)).toEqual(['__proto__', 'prod']);
    delete back['__proto__'];
    delete back.prod;
    writeEditBackup(file, 'contexts', back);
    expect(existsSync(editBackupPath(file))).toBe(false);
  });

  it.each([
    ['another layout', '{"version":1,"profiles":{}}'],
    ['an entry of another shape', '{"version":1,"contexts":{"prod":{"user":7}}}'],
    ['another version', '{"version":2,"contexts":{}}'],
    ['a list', '{"version":1,"contexts":[]}'],
    ['not JSON', 'contexts: {}'],
  ])('refuses a backup that is not guard\'s: %s', (_name, text) => {
    const file = fileIn();
    writeFileSync(editBackupPath(file), text, { mode: 0o600 });
    expect(codeOf(() => readEditBackup(file, 'contexts', isUser))).toBe('config');
  });

  it('refuses a backup others can write, or a link to one', () => {
    const file = fileIn();
    writeFileSync(editBackupPath(file), '{"version":1,"contexts":{}}', { mode: 0o600 });
    chmodSync(editBackupPath(file), 0o666);
    expect(codeOf(() => readEditBackup(file, 'contexts', isUser))).toBe('config');
    const linked = fileIn();
    symlinkSync(editBackupPath(file), editBackupPath(linked));
    chmodSync(editBackupPath(file), 0o600);
    expect(codeOf(() => readEditBackup(linked, 'contexts', isUser))).toBe('config');
  });
});
