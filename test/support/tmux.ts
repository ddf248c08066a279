/**
 * A real terminal for a test: a private tmux server (own socket in the
 * sandbox, no config file) running one script in a 120×40 pane, read with
 * `capture-pane` and typed into with `send-keys`. The script writes the
 * command's exit code to a file, then stays alive so the screen can be read.
 * Used by every test that needs a terminal (terminal, init, doctor tests).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sandbox } from './guard.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

let count = 0;

export class TmuxPane {
  readonly socket: string;
  private readonly exitFile: string;
  private readonly conf: string;

  /** @param tmuxConf tmux commands for the server (default: none at all) */
  constructor(private readonly sandbox: Sandbox, body: string, tmuxConf?: string) {
    const n = ++count;
    this.socket = `guard-tmux-${process.pid}-${n}`;
    this.exitFile = join(sandbox.dir, `tmux-exit-${n}`);
    this.conf = '/dev/null';
    if (tmuxConf) {
      this.conf = join(sandbox.dir, `tmux-${n}.conf`);
      writeFileSync(this.conf, tmuxConf);
    }
    const script = join(sandbox.dir, `tmux-${n}.sh`);
    const exports = Object.entries(sandbox.env)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => `export ${name}=${shellQuote(value!)}`);
    // A trap (not an ignore, which the command would inherit) keeps the script alive through Ctrl-C to record the code.
    writeFileSync(script, ['#!/bin/sh', ...exports, 'trap : INT', body, `echo "$?" > ${shellQuote(this.exitFile)}`, 'exec sleep 600', ''].join('\n'));
    chmodSync(script, 0o755);
    this.tmux('new-session', '-d', '-x', '120', '-y', '40', '-s', 'main', script);
  }

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', this.conf, ...args], {
      encoding: 'utf8',
      // TMUX_TMPDIR: the server's socket lives in the sandbox, not in the shared /tmp/tmux-UID.
      env: { PATH: process.env.PATH, TERM: 'xterm-256color', HOME: this.sandbox.dir, TMUX_TMPDIR: this.sandbox.dir },
    });
  }

  /** The visible screen, wrapped lines joined, trailing blanks dropped. */
  screen(): string {
    return this.tmux('capture-pane', '-p', '-J', '-t', 'main')
      .split('\n')
      .map((line) => line.trimEnd())
      .join('\n')
      .trimEnd();
  }

  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', 'main', ...keys);
  }

  /** Waits until the screen matches (fails after 20 s with the screen in the message). */
  async waitFor(pattern: RegExp): Promise<string> {
    for (let waited = 0; waited < 20_000; waited += 100) {
      const screen = this.screen();
      if (pattern.test(screen)) return screen;
      await sleep(100);
    }
    throw new Error(`the screen never matched ${pattern}:\n${this.screen()}`);
  }

  /** The command's exit code, once it finished. */
  async exitCode(): Promise<number> {
    for (let waited = 0; waited < 30_000; waited += 100) {
      if (existsSync(this.exitFile)) {
        const text = readFileSync(this.exitFile, 'utf8');
        if (text.endsWith('\n')) return Number(text.trim());
      }
      await sleep(100);
    }
    throw new Error(`the command did not finish:\n${this.screen()}`);
  }

  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}
