/**
 * `bind: terminal` (SPEC §10) in real terminals: one private tmux server,
 * each window its own pty and session (an interactive sh as the session's
 * process), guard typed in with `send-keys` and read back with
 * `capture-pane`. A step-up in A does not allow B; B's own does; a process
 * without a controlling terminal is refused even with the tty on its
 * stdio; a new terminal on a closed terminal's tty device starts without a
 * ticket; `guard lock` ends every ticket.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdp } from '../support/idp.ts';
import { collect, configFor, createSandbox, GUARD_BIN, type Sandbox } from '../support/guard.ts';
// @ts-expect-error: plain ESM helper shared with the demo and the benchmark
import { approveDevice, createJar, findVerificationUrl } from '../../scripts/lib/approve.mjs';
import { useServer } from '../support/use-server.ts';

const idp = useServer(() => startIdp());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
const URL_LINE = /^(http:\/\/127\.0\.0\.1:\d+\/device\?user_code=[A-Z]{4}-[A-Z]{4})$/m;

/** A private tmux server whose windows are terminals running an interactive sh with the sandbox's environment. */
class Terminals {
  readonly socket = `guard-bound-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private readonly shell: string;

  constructor(readonly sandbox: Sandbox) {
    this.shell = join(sandbox.dir, 'shell.sh');
    const exports = Object.entries(sandbox.env)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => `export ${name}=${quote(value!)}`);
    writeFileSync(this.shell, ['#!/bin/sh', ...exports, "export PS1='$ '", 'exec sh -i', ''].join('\n'));
    chmodSync(this.shell, 0o755);
  }

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, TERM: 'xterm-256color', HOME: this.sandbox.dir, TMUX_TMPDIR: this.sandbox.dir },
    });
  }

  /** Opens a window (a new terminal) and returns its tty name (`pts/N`). */
  async open(name: string): Promise<string> {
    this.tmux('new-window', '-d', '-t', 'main', '-n', name, this.shell);
    return this.ttyOf(name);
  }

  start(): void {
    this.tmux('new-session', '-d', '-x', '120', '-y', '50', '-s', 'main', '-n', 'idle', 'sleep 600');
  }

  ttyOf(name: string): string {
    return this.tmux('display-message', '-p', '-t', `main:${name}`, '#{pane_tty}').trim().replace(/^\/dev\//, '');
  }

  screen(name: string): string {
    return this.tmux('capture-pane', '-p', '-J', '-t', `main:${name}`).split('\n').map((line) => line.trimEnd()).join('\n').trimEnd();
  }

  private typed = 0;

  /** Clears the window, types a command line and Enter; the line ends by printing `rc=CODE #N`. Returns `#N`. */
  type(name: string, line: string): string {
    const mark = `#${++this.typed}`;
    this.tmux('send-keys', '-t', `main:${name}`, `clear; ${line}; echo "rc=$? ${mark}"`, 'Enter');
    return mark;
  }

  /** Waits until the command line marked `mark` finished; its screen and exit code. */
  async done(name: string, mark: string): Promise<{ screen: string; code: number }> {
    const screen = await this.waitFor(name, new RegExp(`^rc=\\d+ ${mark}$`, 'm'));
    return { screen, code: Number(new RegExp(`^rc=(\\d+) ${mark}$`, 'm').exec(screen)![1]) };
  }

  keys(name: string, ...keys: string[]): void {
    this.tmux('send-keys', '-t', `main:${name}`, ...keys);
  }

  async waitFor(name: string, pattern: RegExp): Promise<string> {
    for (let waited = 0; waited < 20_000; waited += 100) {
      const screen = this.screen(name);
      if (pattern.test(screen)) return screen;
      await sleep(100);
    }
    throw new Error(`window ${name} never matched ${pattern}:\n${this.screen(name)}`);
  }

  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}

const GUARD = quote(GUARD_BIN);

/** `guard login` in a session of its own (no controlling terminal, even when the tests run in one): it leaves no ticket. */
async function loginWithoutTerminal(sandbox: Sandbox, jar: Map<string, string>): Promise<void> {
  let approval: Promise<unknown> | undefined;
  const result = await collect(spawn(GUARD_BIN, ['login', '--no-browser'], { env: sandbox.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }), (stderr) => {
    const url = !approval && findVerificationUrl(stderr);
    if (url) approval = approveDevice(url, { login: 'alice', jar });
  });
  await approval;
  if (result.code !== 0) throw new Error(`login failed (${result.code}): ${result.stderr}`);
}
const tickets = (sandbox: Sandbox) => {
  const dir = join(sandbox.stateDir, 'tickets');
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.json')) : [];
};
const auditEvents = (sandbox: Sandbox) => readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

describe('bind: terminal', () => {
  let sandbox: Sandbox;
  let t: Terminals;
  beforeAll(() => {
    sandbox = createSandbox();
    sandbox.writeConfig(
      configFor(sandbox, idp.issuer, {
        tiers: ['  standard: { idle: 45m, max_session: 12h }', '  privileged: { idle: 15m, reauth_within: 10m, bind: terminal }'].join('\n'),
        rules: '  - name: prod\n    match: "echo prod **"\n    tier: privileged',
      }),
    );
    t = new Terminals(sandbox);
    t.start();
  });
  afterAll(() => t?.kill());

  const jar = createJar(); // one browser with an IdP session, as a person has

  it('a step-up in terminal A does not allow B; B needs its own; then each runs on its own ticket', async () => {
    await loginWithoutTerminal(sandbox, jar);
    const ttyA = await t.open('A');
    const ttyB = await t.open('B');
    expect(ttyA).not.toBe(ttyB);
    await sleep(2_100); // max_age=1: oidc-provider re-authenticates once now − login (whole seconds) > 1

    const a1 = t.type('A', `${GUARD} run --no-browser -- echo prod A1`);
    const askedA = await t.waitFor('A', URL_LINE);
    expect(askedA).toContain('this terminal has not authenticated yet');
    await approveDevice(URL_LINE.exec(askedA)![1], { login: 'alice', jar });
    expect((await t.done('A', a1)).screen).toMatch(new RegExp(`^prod A1\nrc=0 ${a1}$`, 'm'));
    expect(tickets(sandbox)).toHaveLength(1);

    // B asks although A just re-authenticated; A, asked again meanwhile, does not.
    const b1 = t.type('B', `${GUARD} run --no-browser -- echo prod B1`);
    const askedB = await t.waitFor('B', URL_LINE);
    const a2 = t.type('A', `${GUARD} run --no-browser -- echo prod A2`);
    const { screen: screenA, code: codeA2 } = await t.done('A', a2);
    expect(codeA2).toBe(0);
    expect(screenA).toMatch(/^prod A2$/m);
    expect(screenA).not.toMatch(URL_LINE);
    expect(t.screen('B')).toMatch(URL_LINE); // B is still waiting for its own approval
    console.log(`terminal A (${ttyA}):\n${screenA}\n\nterminal B (${ttyB}), at the same moment:\n${askedB}`);

    await sleep(2_100);
    await approveDevice(URL_LINE.exec(askedB)![1], { login: 'alice', jar });
    expect((await t.done('B', b1)).screen).toMatch(new RegExp(`^prod B1\nrc=0 ${b1}$`, 'm'));
    const b2 = await t.done('B', t.type('B', `${GUARD} run --no-browser -- echo prod B2`));
    expect(b2.code).toBe(0);
    expect(b2.screen).toMatch(/^prod B2$/m);
    expect(b2.screen).not.toMatch(URL_LINE);
    expect(tickets(sandbox)).toHaveLength(2);

    // The audit lines of the bound tier name the terminal.
    const allowed = auditEvents(sandbox).filter((e) => e.event === 'allowed' && e.tier === 'privileged');
    expect(allowed.map((e) => e.terminal)).toEqual([ttyA, ttyA, ttyB, ttyB]);

    // status shows this terminal's ticket.
    const status = await t.done('A', t.type('A', `${GUARD} status`));
    expect(status.code).toBe(0);
    expect(status.screen).toContain(`this terminal (${ttyA}): ticket idle`);
  });

  it('a process without a controlling terminal is refused, even with the tty on its stdio', async () => {
    const { screen, code } = await t.done('A', t.type('A', `setsid -w ${GUARD} run --no-browser -- echo prod S`));
    expect(code).toBe(77);
    expect(screen).toContain('"echo" (tier privileged) is bound to a terminal and this process has none');
    expect(screen).not.toMatch(/^prod S$/m);
    expect(screen).not.toMatch(URL_LINE);
  });

  it("a new terminal on a closed terminal's tty device starts without a ticket; the closed one's ticket is pruned", async () => {
    const ttyB = t.ttyOf('B');
    const before = tickets(sandbox); // A's and B's
    t.tmux('kill-window', '-t', 'main:B');
    // The kernel hands out the lowest free pty: open windows until one gets B's device (others may hold it a moment).
    let name = '';
    for (let i = 0; i < 20 && !name; i++) {
      const candidate = `C${i}`;
      if ((await t.open(candidate)) === ttyB) name = candidate;
      else await sleep(100);
    }
    expect(t.ttyOf(name)).toBe(ttyB);
    const mark = t.type(name, `${GUARD} run --no-browser -- echo prod C`);
    const screen = await t.waitFor(name, URL_LINE);
    expect(screen).toContain('this terminal has not authenticated yet');
    await sleep(2_100);
    await approveDevice(URL_LINE.exec(screen)![1], { login: 'alice', jar });
    const done = await t.done(name, mark);
    expect(done.code).toBe(0);
    expect(done.screen).toMatch(/^prod C$/m);
    // C's step-up wrote C's ticket and pruned the one of B, whose terminal is gone.
    const after = tickets(sandbox);
    expect(before).toHaveLength(2);
    expect(after).toHaveLength(2);
    expect(after.filter((file) => before.includes(file))).toHaveLength(1); // A's
  });

  it('guard lock ends every ticket: A asks again', async () => {
    expect(tickets(sandbox).length).toBeGreaterThan(0);
    expect((await t.done('A', t.type('A', `${GUARD} lock`))).code).toBe(0);
    expect(tickets(sandbox)).toEqual([]);
    const mark = t.type('A', `${GUARD} run --no-browser -- echo prod A3`);
    const screen = await t.waitFor('A', URL_LINE);
    expect(screen).not.toMatch(/^prod A3$/m);
    t.keys('A', 'C-c');
    expect((await t.done('A', mark)).code).toBe(130);
  });
});
