/**
 * Reading a team's audit files (SPEC §16) the way an attacker would write
 * them: a huge line, another program's JSON, control characters, a symlink
 * loop, a gzip file, the same event twice, a path that is not there.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildEvent } from '../../src/audit/event.ts';
import { boundedLines, MAX_LINE_BYTES, parseCollectedLine, readTeamLogs } from '../../src/audit/read-team.ts';

const T = Date.UTC(2026, 10, 30, 9);
const event = (i: number, user = 'alice') => JSON.stringify(buildEvent('allowed', { profile: 'p', tier: 'standard', rules: [], command: 'kubectl', user, host: `${user}-laptop`, session_id: `s${i}` }, T + i));
const folder = () => mkdtempSync(join(tmpdir(), 'guard-team-'));

async function* chunks(...parts: string[]): AsyncGenerator<Buffer> {
  for (const part of parts) yield Buffer.from(part);
}

async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('lines, bounded', () => {
  it('splits across chunks and gives a too-long line as null without holding it', async () => {
    expect(await all(boundedLines(chunks('ab', 'c\nd', 'e\n', 'f'), 10))).toEqual(['abc', 'de', 'f']);
    expect(await all(boundedLines(chunks('0123456789', '01\nok\n', '0123456789', '0123456789'), 10))).toEqual([null, 'ok', null]);
    expect(await all(boundedLines(chunks('\n\n'), 10))).toEqual(['', '']);
  });
});

describe('one line', () => {
  it('takes guard\'s JSON after any syslog header, and nothing else', () => {
    const json = event(0);
    expect(parseCollectedLine(json)?.json).toBe(json);
    expect(parseCollectedLine(`2026-11-30T09:00:00.000+00:00 alice-laptop guard[42] ${json}`)?.event.user).toBe('alice');
    expect(parseCollectedLine(`<85>Nov 30 09:00:00 guard[42]: ${json}`)?.event.event).toBe('allowed');
    expect(parseCollectedLine(`<85>1 2026-11-30T09:00:00Z h guard 42 allowed - ${json}`)?.event.session_id).toBe('s0');
    // Another program's JSON, JSON that is no event, an unknown event name, no version, a torn line.
    expect(parseCollectedLine('x sshd[1]: {"event":"allowed","ts":"2026-11-30T09:00:00Z"}')).toBeUndefined();
    expect(parseCollectedLine('x app: {"level":"info","msg":"hello"}')).toBeUndefined();
    expect(parseCollectedLine(json.replace('"allowed"', '"rm_rf"'))).toBeUndefined();
    expect(parseCollectedLine(json.slice(0, -5))).toBeUndefined();
    expect(parseCollectedLine('no brace here')).toBeUndefined();
  });
});

describe('files and folders', () => {
  it('reads JSONL, syslog and gzip files under folders, each event once, in time order', async () => {
    const dir = folder();
    mkdirSync(join(dir, 'hosts', 'old'), { recursive: true });
    writeFileSync(join(dir, 'hosts', 'alice-laptop.log'), `${[1, 2].map((i) => `2026-11-30T09:00:00+00:00 alice-laptop guard[7] ${event(i)}`).join('\n')}\n`);
    writeFileSync(join(dir, 'hosts', 'old', 'alice-laptop.log.2.gz'), gzipSync(`x guard[7]: ${event(0)}\n`));
    const local = join(dir, 'audit.jsonl');
    writeFileSync(local, `${event(2)}\n${event(3, 'bob')}\n${event(3, 'bob')}\n`); // event 2 is in the collector's file too
    const log = await readTeamLogs([join(dir, 'hosts'), local]);
    // One file's lines each count (bob's twice); a line in two files counts once.
    expect(log.events.map((e) => e.session_id)).toEqual(['s0', 's1', 's2', 's3', 's3']);
    expect(log).toMatchObject({ duplicates: 1, skipped: 0, files: 3, notes: [] });
  });

  it('survives a huge line, foreign lines and control characters, and counts what it skipped', async () => {
    const dir = folder();
    const hostile = event(1).replace('"alice"', '"al\\u001b[2Jice\\u202e"');
    const lines = [
      'Nov 30 09:00:00 host CRON[9]: (root) CMD (run-parts)', // no brace: another program's line, not counted
      `huge guard[1]: {"x":"${'a'.repeat(MAX_LINE_BYTES * 3)}"}`,
      'host app[2]: {"level":"info"}',
      `host guard[3]: ${hostile}`,
      event(2),
    ];
    writeFileSync(join(dir, 'mixed.log'), `${lines.join('\n')}\n`);
    const log = await readTeamLogs([dir]);
    // A user name with control characters is no guard's: skipped and counted, like the huge and the foreign line.
    expect(log.skipped).toBe(3);
    expect(log.events.map((e) => e.user)).toEqual(['alice']);
  });

  it.each([
    ['tier', 'a\u202eb'],
    ['tier', 'a\u001b[2Jb'],
    ['tier', 'x'.repeat(129)],
    ['tier', 7],
    ['user', 'al\u001b[2Jice\u202e'],
    ['user', 'a\nb'],
    ['host', 'evil host'],
    ['host', '__proto__'],
  ])('skips an event whose %s is %j: no guard wrote it', (field, value) => {
    const line = JSON.stringify({ ...JSON.parse(event(0)), [field]: value });
    expect(parseCollectedLine(line)).toBeUndefined();
  });

  it.each([['user', 'Alice O\'Brien'], ['user', 'zoë@example.com'], ['user', 'auth0|5f1c'], ['tier', 'db.prod-admin_2'], ['host', 'alice-laptop.corp.example.com'], ['user', null], ['tier', '']])('keeps an event whose %s is %j', (field, value) => {
    expect(parseCollectedLine(JSON.stringify({ ...JSON.parse(event(0)), [field]: value }))).toBeDefined();
  });

  it('walks a folder once however many links lead into it (a symlink loop ends)', async () => {
    const dir = folder();
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    writeFileSync(join(dir, 'a', 'b', 'x.log'), `${event(0)}\n`);
    symlinkSync('..', join(dir, 'a', 'b', 'up'));
    symlinkSync(join(dir, 'a'), join(dir, 'a', 'b', 'again'));
    symlinkSync('self', join(dir, 'self')); // a link to itself: ELOOP
    const log = await readTeamLogs([dir]);
    expect(log.events).toHaveLength(1);
    expect(log.files).toBe(1);
    expect(log.notes).toEqual([expect.stringMatching(/^skipped .*self \(ELOOP\)$/)]);
  });

  it('leaves out events before the window early, and says plainly when a named path is missing', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'a.log'), `${event(0)}\n${event(5)}\n`);
    expect((await readTeamLogs([dir], T + 1)).events.map((e) => e.session_id)).toEqual(['s5']);
    await expect(readTeamLogs([join(dir, 'nope\u001b]0;x\u0007')])).rejects.toThrow(/^cannot read .*nope\\x1b]0;x\\x07 \(ENOENT\); name files or folders of audit events$/);
  });
});
