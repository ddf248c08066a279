/**
 * Opens the verification URL in a browser only when that is surely wanted:
 * an interactive, local, graphical session. Never without a terminal on
 * stdin and stderr, never in CI, never with --no-browser or
 * GUARD_BROWSER=none. Over SSH or in a container it opens nothing unless
 * GUARD_BROWSER names a program explicitly (a forwarder to the laptop's
 * browser, say); BROWSER, the desktop's general choice, is used only where
 * guard would open a browser anyway. No shell is involved: the program and
 * its words are split here, and the URL is one argument.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.3.1 (non-textual verification URI)
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isLoopbackHost } from '../util/net.ts';

export interface BrowserSituation {
  env: NodeJS.ProcessEnv;
  stdinIsTTY: boolean;
  stderrIsTTY: boolean;
  platform: NodeJS.Platform;
  inContainer: boolean;
  /** --no-browser */
  disabled?: boolean;
}

export type BrowserChoice = { open: true; program: string; args: string[] } | { open: false; reason: string };

const OFF = new Set(['none', 'off', 'false', '0']);

/** Decides whether and with what to open `url`. Pure: the situation is passed in. */
export function chooseBrowser(situation: BrowserSituation, url: string): BrowserChoice {
  const { env } = situation;
  const explicit = env.GUARD_BROWSER?.trim();
  if (situation.disabled) return { open: false, reason: '--no-browser' };
  if (!isWebUrl(url)) return { open: false, reason: 'the verification URL is not an https:// address' };
  if (explicit !== undefined && OFF.has(explicit.toLowerCase())) return { open: false, reason: `GUARD_BROWSER=${explicit}` };
  if (!situation.stdinIsTTY || !situation.stderrIsTTY) return { open: false, reason: 'not an interactive terminal' };
  if (env.CI && !OFF.has(env.CI.toLowerCase())) return { open: false, reason: 'CI is set' };
  if (explicit) return command(explicit, url)!; // an empty GUARD_BROWSER counts as unset
  if (env.SSH_CONNECTION || env.SSH_CLIENT || env.SSH_TTY) return { open: false, reason: 'an SSH session (set GUARD_BROWSER to open one anyway)' };
  if (situation.inContainer) return { open: false, reason: 'a container (set GUARD_BROWSER to open one anyway)' };
  if (env.BROWSER?.trim()) return command(env.BROWSER.split(':')[0]!, url) ?? { open: false, reason: 'BROWSER is empty' };
  if (situation.platform === 'darwin') return { open: true, program: 'open', args: [url] };
  if (situation.platform === 'linux' || situation.platform === 'freebsd' || situation.platform === 'openbsd') {
    if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return { open: false, reason: 'no graphical session (DISPLAY / WAYLAND_DISPLAY)' };
    return { open: true, program: 'xdg-open', args: [url] };
  }
  return { open: false, reason: `no default browser command on ${situation.platform} (set GUARD_BROWSER)` };
}

/** Only web addresses reach a browser program (the URL comes from the IdP): https, or http on loopback. */
function isWebUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname));
  } catch {
    return false;
  }
}

/** `firefox --new-window` → firefox [--new-window, URL]; a `%s` word takes the URL's place (the BROWSER convention). */
function command(text: string, url: string): BrowserChoice | undefined {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return undefined;
  const [program, ...rest] = words as [string, ...string[]];
  const args = rest.some((word) => word.includes('%s')) ? rest.map((word) => word.replaceAll('%s', url)) : [...rest, url];
  return { open: true, program, args };
}

/** Container markers of Docker, Podman and systemd-nspawn/LXC. */
export function detectContainer(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.container) || existsSync('/.dockerenv') || existsSync('/run/.containerenv');
}

/**
 * Starts the browser detached (it outlives guard, which never waits for it).
 * Resolves true once the program started, false if it could not be run.
 */
export function launchBrowser(choice: Extract<BrowserChoice, { open: true }>): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      const child = spawn(choice.program, choice.args, { stdio: 'ignore', detached: true });
      child.once('spawn', () => resolve(true));
      child.once('error', () => resolve(false));
      child.unref();
    } catch {
      resolve(false); // the URL is on screen: the browser is only a convenience
    }
  });
}
