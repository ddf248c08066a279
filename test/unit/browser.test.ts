/**
 * When guard opens a browser for the device flow, and with what: only in an
 * interactive, local, graphical session (SPEC §3 leaves it to us; issue 5
 * pins it down). A table of situations, like the decide tests.
 */
import { describe, expect, it } from 'vitest';
import { chooseBrowser, launchBrowser, type BrowserSituation } from '../../src/ui/browser.ts';

const URL_ = 'https://idp.example.com/device?user_code=ABCD-EFGH';
const desktop: BrowserSituation = { env: { DISPLAY: ':0' }, stdinIsTTY: true, stderrIsTTY: true, platform: 'linux', inContainer: false };
const at = (change: Partial<BrowserSituation> & { env?: NodeJS.ProcessEnv }): BrowserSituation => ({ ...desktop, ...change, env: { ...desktop.env, ...change.env } });

describe('opens a browser', () => {
  it.each<[string, BrowserSituation, string, string[]]>([
    ['on a Linux desktop (X11)', desktop, 'xdg-open', [URL_]],
    ['on a Linux desktop (Wayland)', at({ env: { DISPLAY: undefined, WAYLAND_DISPLAY: 'wayland-0' } }), 'xdg-open', [URL_]],
    ['on macOS', at({ platform: 'darwin', env: { DISPLAY: undefined } }), 'open', [URL_]],
    ['with BROWSER', at({ env: { BROWSER: 'firefox' } }), 'firefox', [URL_]],
    ['with BROWSER, first of a list', at({ env: { BROWSER: 'firefox:chromium' } }), 'firefox', [URL_]],
    ['with GUARD_BROWSER over BROWSER, words split, no shell', at({ env: { BROWSER: 'firefox', GUARD_BROWSER: 'chromium --new-window' } }), 'chromium', ['--new-window', URL_]],
    ['with %s standing for the URL', at({ env: { GUARD_BROWSER: 'open-url --url=%s --quiet' } }), 'open-url', [`--url=${URL_}`, '--quiet']],
    ['over SSH when GUARD_BROWSER asks for it explicitly', at({ env: { SSH_CONNECTION: '1 2 3 4', GUARD_BROWSER: '/usr/local/bin/forward-url' } }), '/usr/local/bin/forward-url', [URL_]],
    ['in a container when GUARD_BROWSER asks for it explicitly', at({ inContainer: true, env: { GUARD_BROWSER: 'host-open' } }), 'host-open', [URL_]],
    ['when CI is set to false', at({ env: { CI: 'false' } }), 'xdg-open', [URL_]],
    ['when GUARD_BROWSER is empty (as if unset)', at({ env: { GUARD_BROWSER: '  ' } }), 'xdg-open', [URL_]],
  ])('%s', (_, situation, program, args) => {
    expect(chooseBrowser(situation, URL_)).toEqual({ open: true, program, args });
  });
});

describe('never opens a browser', () => {
  it.each<[string, BrowserSituation, RegExp]>([
    ['with --no-browser', at({ disabled: true, env: { GUARD_BROWSER: 'firefox' } }), /--no-browser/],
    ['with GUARD_BROWSER=none', at({ env: { GUARD_BROWSER: 'none', BROWSER: 'firefox' } }), /GUARD_BROWSER=none/],
    ['with GUARD_BROWSER=0', at({ env: { GUARD_BROWSER: '0' } }), /GUARD_BROWSER=0/],
    ['without a terminal on stdin', at({ stdinIsTTY: false }), /not an interactive terminal/],
    ['without a terminal on stderr', at({ stderrIsTTY: false, env: { GUARD_BROWSER: 'firefox' } }), /not an interactive terminal/],
    ['in CI, even with GUARD_BROWSER', at({ env: { CI: 'true', GUARD_BROWSER: 'firefox' } }), /CI/],
    ['over SSH (SSH_CONNECTION)', at({ env: { SSH_CONNECTION: '10.0.0.1 5 10.0.0.2 22' } }), /SSH/],
    ['over SSH (SSH_TTY), even with BROWSER', at({ env: { SSH_TTY: '/dev/pts/3', BROWSER: 'firefox' } }), /SSH/],
    ['over SSH (SSH_CLIENT)', at({ env: { SSH_CLIENT: '10.0.0.1 5 22' } }), /SSH/],
    ['in a container, even with BROWSER', at({ inContainer: true, env: { BROWSER: 'firefox' } }), /container/],
    ['on Linux without a graphical session', at({ env: { DISPLAY: undefined } }), /graphical/],
    ['on Windows without GUARD_BROWSER', at({ platform: 'win32' }), /win32/],
    ['with a BROWSER of nothing but a separator', at({ env: { BROWSER: ':' } }), /BROWSER is empty/],
  ])('%s', (_, situation, reason) => {
    const choice = chooseBrowser(situation, URL_);
    expect(choice.open).toBe(false);
    expect(choice.open === false && choice.reason).toMatch(reason);
  });
});

describe('launching', () => {
  it('reports whether the program started', async () => {
    expect(await launchBrowser({ open: true, program: 'true', args: [URL_] })).toBe(true);
    expect(await launchBrowser({ open: true, program: 'no-such-browser-guard-test', args: [URL_] })).toBe(false);
  });
});
