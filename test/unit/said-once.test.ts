import { mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recentRefusal, recordRefusal, REPEAT_WINDOW } from '../../src/integrations/said-once.ts';

// The "caller" is this test process (a live pid with a start time), as kubectl is for the plugin.
const caller = process.pid;
const words = ['kube-credential', 'https://prod.example.com'];
const NOW = Date.now();

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'guard-said-once-'));
  mkdirSync(join(dir, 'sessions'), { mode: 0o700 });
  return dir;
}

describe('a refusal said once to the process that runs guard (kubectl runs a refused plugin again)', () => {
  it('the same caller asking the same again within the window gets the same code', () => {
    const dir = stateDir();
    expect(recentRefusal(dir, words, NOW, caller)).toBeUndefined();
    recordRefusal(dir, words, 'auth', NOW, caller);
    expect(recentRefusal(dir, words, NOW + 1_000, caller)).toBe('auth');
  });

  it.each<[string, (dir: string) => string | undefined]>([
    ['other words (another cluster)', (dir) => recentRefusal(dir, ['kube-credential', 'https://dev.example.com'], NOW + 1_000, caller)],
    ['another caller', (dir) => recentRefusal(dir, words, NOW + 1_000, process.ppid)],
    ['after the window', (dir) => recentRefusal(dir, words, NOW + REPEAT_WINDOW, caller)],
    ['a clock moved back', (dir) => recentRefusal(dir, words, NOW - 1, caller)],
    ['a session changed meanwhile (a guard login elsewhere)', (dir) => {
      utimesSync(join(dir, 'sessions'), new Date(NOW + 2_000), new Date(NOW + 2_000));
      return recentRefusal(dir, words, NOW + 1_000, caller);
    }],
  ])('decides again for %s', (_name, ask) => {
    const dir = stateDir();
    recordRefusal(dir, words, 'auth', NOW, caller);
    expect(ask(dir)).toBeUndefined();
  });

  it('a record with a code guard does not know is ignored (never an exit 0)', () => {
    const dir = stateDir();
    recordRefusal(dir, words, 'auth', NOW, caller);
    const file = join(dir, 'last-refusal.json');
    const record = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...record, code: 'ok' }), { mode: 0o600 });
    expect(recentRefusal(dir, words, NOW + 1_000, caller)).toBeUndefined();
  });
});
