/**
 * The last valid aliases per user config (SPEC §14 "Shell functions fail
 * closed"): kept per config file, written only when they change, and never
 * trusted from a file another user could have written.
 */
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastAliases, rememberAliases } from '../../src/shell/last-aliases.ts';

const stateDir = () => join(mkdtempSync(join(tmpdir(), 'guard-aliases-')), 'state');
const file = (dir: string) => join(dir, 'shell', 'aliases.json');

describe('last valid aliases', () => {
  it('are kept per config file, deduplicated, in a private file', () => {
    const dir = stateDir();
    expect(lastAliases(dir, '/a.yaml')).toBeUndefined();
    rememberAliases(dir, '/a.yaml', ['kubectl', 'psql', 'kubectl']);
    rememberAliases(dir, '/b.yaml', ['terraform']);
    expect(lastAliases(dir, '/a.yaml')).toEqual(['kubectl', 'psql']);
    expect(lastAliases(dir, '/b.yaml')).toEqual(['terraform']);
    expect(statSync(file(dir)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'shell')).mode & 0o777).toBe(0o700);
  });

  it('an empty list is remembered as such (a config that asks for no function)', () => {
    const dir = stateDir();
    rememberAliases(dir, '/a.yaml', ['kubectl']);
    rememberAliases(dir, '/a.yaml', []);
    expect(lastAliases(dir, '/a.yaml')).toEqual([]);
  });

  it('the file is written only when the list changed', () => {
    const dir = stateDir();
    rememberAliases(dir, '/a.yaml', ['kubectl']);
    const before = statSync(file(dir)).ino;
    rememberAliases(dir, '/a.yaml', ['kubectl']);
    expect(statSync(file(dir)).ino).toBe(before);
    rememberAliases(dir, '/a.yaml', ['kubectl', 'helm']);
    expect(statSync(file(dir)).ino).not.toBe(before);
  });

  it('keeps the 16 most recently changed config files', () => {
    const dir = stateDir();
    for (let i = 0; i < 20; i++) rememberAliases(dir, `/c${i}.yaml`, [`tool${i}`]);
    expect(Object.keys((JSON.parse(readFileSync(file(dir), 'utf8')) as { configs: object }).configs)).toHaveLength(16);
    expect(lastAliases(dir, '/c3.yaml')).toBeUndefined();
    expect(lastAliases(dir, '/c19.yaml')).toEqual(['tool19']);
  });

  it('a file writable by others, corrupt or of another shape is not trusted', () => {
    const dir = stateDir();
    rememberAliases(dir, '/a.yaml', ['kubectl']);
    chmodSync(file(dir), 0o666);
    expect(lastAliases(dir, '/a.yaml')).toBeUndefined();
    for (const text of ['{', '[]', '{"configs":{"/a.yaml":"kubectl"}}', '{"configs":{"/a.yaml":[1]}}']) {
      writeFileSync(file(dir), text, { mode: 0o600 });
      chmodSync(file(dir), 0o600);
      expect(lastAliases(dir, '/a.yaml')).toBeUndefined();
    }
  });
});
