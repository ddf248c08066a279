/**
 * Opens the verification URL in a browser only when that is surely wanted:
 * an interactive, local, graphical session. Never without a TTY, over SSH,
 * in CI or a container; GUARD_BROWSER / BROWSER choose the program
 * (GUARD_BROWSER=none turns it off).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Deps } from '../deps.ts';

export function browserCommand(deps: Pick<Deps, 'env' | 'io'>): string | undefined {
  const { env, io } = deps;
  if (!io.stderrIsTTY || !io.stdinIsTTY) return undefined;
  if (env.SSH_CONNECTION || env.SSH_TTY || env.SSH_CLIENT) return undefined;
  if (env.CI || existsSync('/.dockerenv') || existsSync('/run/.containerenv') || env.container) return undefined;
  const chosen = env.GUARD_BROWSER || env.BROWSER;
  if (chosen === 'none' || chosen === '') return undefined;
  if (chosen) return chosen;
  if (process.platform === 'darwin') return 'open';
  if (process.platform === 'win32') return undefined;
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return undefined;
  return 'xdg-open';
}

export function openBrowserIfSuitable(deps: Pick<Deps, 'env' | 'io'>, url: string): void {
  const command = browserCommand(deps);
  if (!command) return;
  try {
    const child = spawn(command, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // the URL is on screen: opening the browser is only a convenience
  }
}
