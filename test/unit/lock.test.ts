/**
 * Cross-process lock files (src/session/lock.ts): who may break a lock.
 * A dead owner, an owner whose pid now belongs to another process, or an
 * empty lock past its age are broken at once; a live owner is waited for.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, acquireLockSync } from '../../src/files/lock.ts';

const OPTIONS = { timeout: 300, stale: 60_000, what: 'the test lock' };
const fresh = () => join(mkdtempSync(join(tmpdir(), 'guard-lock-unit-')), 'sessions', 'p.state.lock');
const deadPid = () => Number(String(spawnSync('sh', ['-c', 'echo $$']).stdout).trim());
const ownStart = () => {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
};

describe('lock files', () => {
  it('are complete when they appear (pid, start time, random), 0600 in a 0700 folder, and gone after release with no temp file left', async () => {
    const path = fresh();
    const umask = process.umask(0); // the modes must not depend on a careful umask
    const lock = acquireLockSync(path, OPTIONS);
    process.umask(umask);
    const [pid, start, random] = readFileSync(path, 'utf8').split(' ');
    expect(Number(pid)).toBe(process.pid);
    expect(start).toMatch(/^\d+$/);
    expect(random).toMatch(/^[0-9a-z-]{8,}$/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
    lock.release();
    expect(readdirSync(join(path, '..'))).toEqual([]);
    // Each lock carries its own token: release() of a lock broken and retaken by another never removes the new one.
    process.umask(0);
    const again = await acquireLock(path, OPTIONS);
    process.umask(umask);
    expect(readFileSync(path, 'utf8').split(' ')[2]).not.toBe(random);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    again.release();
  });

  it.each([
    ['a dead owner', () => `${deadPid()} 1 aaaaaaaaaaaa`],
    ['a live pid that started at another time (pid reuse)', () => '1 999999999 aaaaaaaaaaaa'],
    ['garbage', () => 'not a lock'],
  ])('are broken at once when held by %s', async (_name, content) => {
    const path = fresh();
    acquireLockSync(path, OPTIONS).release();
    writeFileSync(path, content(), { mode: 0o600 });
    let waited = false;
    const lock = await acquireLock(path, OPTIONS, () => (waited = true));
    expect(waited).toBe(false);
    lock.release();
    expect(existsSync(path)).toBe(false);
  });

  it('wait for a live owner and time out with one clear line', () => {
    const path = fresh();
    acquireLockSync(path, OPTIONS).release();
    writeFileSync(path, `${process.pid} ${ownStart()} bbbbbbbbbbbb`, { mode: 0o600 });
    expect(() => acquireLockSync(path, OPTIONS)).toThrow(/^timed out after 0s waiting for the test lock; try again$/);
  });

  it('keep waiting while the lock changes hands (a burst makes progress), and time out only on one holder', async () => {
    const path = fresh();
    acquireLockSync(path, OPTIONS).release();
    // Live holders take turns every 100 ms for four times the waiter's 300 ms timeout, then the last one releases.
    let turn = 0;
    writeFileSync(path, `${process.pid} ${ownStart()} holder${turn}`, { mode: 0o600 });
    const handOver = setInterval(() => {
      turn += 1;
      if (turn < 12) writeFileSync(path, `${process.pid} ${ownStart()} holder${turn}`, { mode: 0o600 });
      else {
        clearInterval(handOver);
        rmSync(path);
      }
    }, 100);
    const lock = await acquireLock(path, OPTIONS);
    expect(turn).toBeGreaterThanOrEqual(12);
    lock.release();
  });

  it('treat an empty lock as being written, until it is older than the stale age', () => {
    const path = fresh();
    acquireLockSync(path, OPTIONS).release();
    writeFileSync(path, '', { mode: 0o600 });
    expect(() => acquireLockSync(path, OPTIONS)).toThrow(/timed out/);
    const old = new Date(Date.now() - 120_000);
    utimesSync(path, old, old);
    acquireLockSync(path, OPTIONS).release();
  });
});
