/**
 * guard in a real terminal: each test starts a private tmux server (its own
 * socket, no config file), runs guard in a 120×40 pane with the sandbox's
 * environment written out explicitly, reads the screen with
 * `tmux capture-pane -p`, and types with `tmux send-keys`. Covers the
 * device-flow screen, the confirm prompt, Ctrl-C while polling, an alias in
 * an interactive shell, and zsh completion.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startIdp } from '../support/idp.ts';
import { configFor, createSandbox, GUARD_BIN, login, runGuard, type Sandbox } from '../support/guard.ts';
import { readKeychain } from '../support/keychain.ts';
import { startFakeIdp } from '../support/fake-idp.ts';
// @ts-expect-error: plain ESM helper shared with the demo and the benchmark
import { approveDevice } from '../../scripts/lib/approve.mjs';
import { shellQuote as quote, TmuxPane as Terminal } from '../support/tmux.ts';
import { useServer } from '../support/use-server.ts';

const idp = useServer(() => startIdp());


const terminals: Terminal[] = [];
function terminal(sandbox: Sandbox, body: string, tmuxConf?: string): Terminal {
  const t = new Terminal(sandbox, body, tmuxConf);
  terminals.push(t);
  return t;
}
afterEach(() => {
  for (const t of terminals.splice(0)) t.kill();
});

function sandboxWith(options: Parameters<typeof configFor>[2] = {}): Sandbox {
  const sandbox = createSandbox();
  sandbox.writeConfig(configFor(sandbox, idp.issuer, options));
  return sandbox;
}

const GUARD = quote(GUARD_BIN);
const SPINNER = /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Waiting for approval… (\S+) left \(Ctrl-C to cancel\)$/m;
const stateFiles = (sandbox: Sandbox) => (existsSync(sandbox.stateDir) ? readdirSync(sandbox.stateDir, { recursive: true }).map(String) : []);
const auditEvents = (sandbox: Sandbox) =>
  existsSync(join(sandbox.stateDir, 'audit.jsonl'))
    ? readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
    : [];

describe('the device-flow screen', () => {
  it('shows the prefilled URL and the code on lines of their own, a QR code and a live countdown, then signs in', async () => {
    const sandbox = sandboxWith();
    // An explicit GUARD_BROWSER is the one way to get a browser here (a container): a script that records its arguments.
    const browser = join(sandbox.dir, 'browser.sh');
    writeFileSync(browser, `#!/bin/sh\nprintf '%s\\n' "$@" > ${quote(join(sandbox.dir, 'browser-args'))}\n`);
    chmodSync(browser, 0o755);
    sandbox.env.GUARD_BROWSER = browser;
    // set-clipboard on: tmux keeps what a program copies with OSC 52 as a paste buffer.
    const t = terminal(sandbox, `${GUARD} login`, 'set -g set-clipboard on\n');

    const screen = await t.waitFor(SPINNER);
    const url = /^(http:\/\/127\.0\.0\.1:\d+\/device\?user_code=([A-Z]{4}-[A-Z]{4}))$/m.exec(screen);
    expect(url, screen).not.toBeNull();
    const lines = screen.split('\n');
    expect(lines).toContain(`guard: sign-in needed for profile "${sandbox.profile}"`);
    expect(lines).toContain(url![2]); // the code, alone on its line
    expect(lines).toContain(`(or go to ${new URL(url![1]!).origin}/device and type the code)`);
    expect(lines.filter((line) => /^[█▀▄ ]{25,}$/.test(line)).length).toBeGreaterThan(10); // the QR code
    expect(lines.indexOf(url![1]!)).toBeGreaterThan(lines.findIndex((line) => /^[█▀▄ ]{25,}$/.test(line)));
    expect(screen).toContain(`Opened the sign-in page in your browser (${browser}).`);
    expect(readFileSync(join(sandbox.dir, 'browser-args'), 'utf8')).toBe(`${url![1]}\n`);
    expect(t.tmux('show-buffer')).toBe(url![2]); // OSC 52 copied the code

    // The countdown moves.
    const first = SPINNER.exec(screen)![1]!;
    expect(first).toMatch(/^(10m|9m\d\ds)$/);
    await t.waitFor(new RegExp(`Waiting for approval… (?!${first} )\\S+ left`));

    await approveDevice(url![1], { login: 'alice' });
    const done = await t.waitFor(/signed in as alice/);
    expect(await t.exitCode()).toBe(0);
    expect(done).not.toContain('Waiting for approval');
    expect(done.split('\n').at(-1)).toBe(`guard: signed in as alice (profile ${sandbox.profile})`);
    await runGuard(['logout'], sandbox.env);
  });

  it('opens no browser with --no-browser, and says why in --verbose', async () => {
    const sandbox = sandboxWith();
    sandbox.env.GUARD_BROWSER = join(sandbox.dir, 'must-not-run');
    const t = terminal(sandbox, `${GUARD} --verbose login --no-browser`);
    const screen = await t.waitFor(SPINNER);
    expect(screen).toContain('guard: not opening a browser: --no-browser');
    t.keys('C-c');
    expect(await t.exitCode()).toBe(130);
  });

  it('a slow_down note in --verbose gets a line of its own, and the countdown carries on below it', async () => {
    const fake = await startFakeIdp();
    try {
      const answers = ['authorization_pending', 'slow_down'];
      fake.set('token', (x) => x.json(400, { error: answers.shift() ?? 'authorization_pending' }));
      const sandbox = createSandbox();
      sandbox.writeConfig(configFor(sandbox, fake.issuer));
      const t = terminal(sandbox, `${GUARD} --verbose login`);
      const note = 'guard: the identity provider asked to slow down (slow_down #1); polling less often';
      const screen = await t.waitFor(new RegExp(`^${note.replace(/[()#]/g, '\\$&')}\n${SPINNER.source.slice(1)}`, 'm'));
      expect(screen.split('\n').filter((line) => line.includes('Waiting for approval'))).toHaveLength(1);
      // Ending the tmux server (afterEach) hangs up on guard: no need to sit out the 5 s back-off.
    } finally {
      await fake.stop();
    }
  });

  it('Ctrl-C while polling cancels cleanly: exit 130, one line, nothing half-written', async () => {
    const sandbox = sandboxWith();
    const t = terminal(sandbox, `${GUARD} login`);
    await t.waitFor(SPINNER);
    t.keys('C-c');
    expect(await t.exitCode()).toBe(130);
    const screen = t.screen();
    expect(screen).not.toMatch(SPINNER);
    expect(screen.split('\n').at(-1)).toBe('guard: sign-in cancelled');
    expect(stateFiles(sandbox).filter((file) => file.startsWith('sessions/') && !file.endsWith('.lock'))).toEqual([]);
    expect(stateFiles(sandbox).filter((file) => file.endsWith('.tmp'))).toEqual([]);
    expect(await readKeychain(sandbox.profile)).toBeUndefined();
    expect(auditEvents(sandbox).map((e) => [e.event, e.reason])).toEqual([['login_failed', 'cancelled']]);
  });

  it('Ctrl-C during an inline sign-in of guard run: the command never runs', async () => {
    const sandbox = sandboxWith();
    const marker = join(sandbox.dir, 'ran');
    const t = terminal(sandbox, `${GUARD} run -- touch ${quote(marker)}`);
    const screen = await t.waitFor(SPINNER);
    expect(screen).toContain(`guard: sign-in needed for profile "${sandbox.profile}" (no session)`);
    t.keys('C-c');
    expect(await t.exitCode()).toBe(130);
    expect(existsSync(marker)).toBe(false);
    expect(await readKeychain(sandbox.profile)).toBeUndefined();
  });
});

describe('a tier with confirm: true', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = sandboxWith({
      tiers: ['  standard: { idle: 45m, max_session: 12h }', '  privileged: { idle: 45m, max_session: 12h, confirm: true }'].join('\n'),
      rules: ['  - name: touching', '    match: "touch **"', '    tier: privileged'].join('\n'),
    });
    await login(sandbox);
  });
  afterAll(async () => {
    await runGuard(['logout'], sandbox.env);
  });

  it.each([
    ['y', 0, true],
    ['n', 130, false],
  ] as const)('asks, and answering %s exits %i', async (answer, code, ran) => {
    const marker = join(sandbox.dir, `confirmed-${answer}`);
    const t = terminal(sandbox, `${GUARD} run -- touch ${quote(marker)}`);
    await t.waitFor(new RegExp(`Run "touch ${marker.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}" \\(tier privileged, profile ${sandbox.profile}\\)\\? \\(y/N\\)`));
    t.keys(answer, 'Enter');
    expect(await t.exitCode()).toBe(code);
    expect(existsSync(marker)).toBe(ran);
    if (!ran) expect(t.screen().split('\n').at(-1)).toBe('guard: not confirmed: "touch" was not run');
  });

  it('Ctrl-C at the question cancels (130)', async () => {
    const marker = join(sandbox.dir, 'confirmed-ctrl-c');
    const t = terminal(sandbox, `${GUARD} run -- touch ${quote(marker)}`);
    await t.waitFor(/\(y\/N\)/);
    t.keys('C-c');
    expect(await t.exitCode()).toBe(130);
    expect(existsSync(marker)).toBe(false);
  });

  it('without a terminal it exits 77 unless --yes answers', async () => {
    const marker = join(sandbox.dir, 'confirmed-script');
    const refused = await runGuard(['run', '--', 'touch', marker], sandbox.env);
    expect(refused.code).toBe(77);
    expect(refused.stderr).toBe('guard: "touch" (tier privileged) needs a confirmation and no terminal can answer (no controlling terminal); to confirm in a script: guard run --yes -- touch …, or give it a tier without confirm\n');
    expect(existsSync(marker)).toBe(false);
    expect((await runGuard(['run', '--yes', '--', 'touch', marker], sandbox.env)).code).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });
});

describe('shell integration at a terminal', () => {
  it('an alias in an interactive bash signs in inline, then runs the real program', async () => {
    const sandbox = sandboxWith({ extra: 'aliases: [kubectl]' });
    const fakeBin = join(sandbox.dir, 'bin');
    mkdirSync(fakeBin);
    writeFileSync(join(fakeBin, 'kubectl'), '#!/bin/sh\necho "real kubectl: $*"\nexit 4\n');
    chmodSync(join(fakeBin, 'kubectl'), 0o755);
    sandbox.env.PATH = `${fakeBin}:${dirname(GUARD_BIN)}:${process.env.PATH}`;
    writeFileSync(join(sandbox.dir, '.bashrc'), `eval "$(guard shell-init bash)"\nPS1='$ '\n`);
    const t = terminal(sandbox, `bash --rcfile ${quote(join(sandbox.dir, '.bashrc'))} -i`);
    await t.waitFor(/^\$$/m); // the prompt (trailing blanks are trimmed)
    t.keys('kubectl get pods -n "my ns"; echo "status=$?"', 'Enter');
    const screen = await t.waitFor(SPINNER);
    const url = /^(http:\/\/\S+user_code=\S+)$/m.exec(screen)![1]!;
    await approveDevice(url);
    const done = await t.waitFor(/^status=\d+$/m);
    expect(done).toContain('real kubectl: get pods -n my ns');
    expect(done).toMatch(/^status=4$/m);
    t.keys('exit', 'Enter');
    expect(await t.exitCode()).toBe(0);
    await runGuard(['logout'], sandbox.env);
  });

  it('zsh completes commands and profiles from the checked-in _guard', async () => {
    const sandbox = sandboxWith();
    sandbox.env.PATH = `${dirname(GUARD_BIN)}:${process.env.PATH}`;
    const completions = new URL('../../completions/', import.meta.url).pathname;
    mkdirSync(join(sandbox.dir, 'zsh'));
    writeFileSync(
      join(sandbox.dir, 'zsh', '.zshrc'),
      `fpath=(${quote(completions)} $fpath)\nautoload -Uz compinit && compinit -u -d ${quote(join(sandbox.dir, 'zcompdump'))}\nPS1='%% '\n`,
    );
    sandbox.env.ZDOTDIR = join(sandbox.dir, 'zsh');
    const t = terminal(sandbox, 'zsh -i');
    await t.waitFor(/^%$/m);
    t.keys('guard shell-i', 'Tab');
    await t.waitFor(/^% guard shell-init$/m);
    t.keys('C-u', 'guard --profile ', 'Tab');
    await t.waitFor(new RegExp(`^% guard --profile ${sandbox.profile}$`, 'm'));
    t.keys('C-u', 'exit', 'Enter');
    expect(await t.exitCode()).toBe(0);
  });
});

describe('guard alone', () => {
  it('without a config says how to start, and exits 0', async () => {
    const sandbox = createSandbox(); // no config written
    const result = await runGuard([], sandbox.env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('No usable configuration yet (~/config.yaml). To start:'); // HOME is the sandbox
    expect(result.stdout).toMatch(/^ {2}guard init +checks your identity provider/m);
    expect(result.stdout).toMatch(/^ {2}guard login +sign in \(device flow\)$/m);
  });

  it('shows the session from the state file alone: no keychain, no network', async () => {
    const sandbox = sandboxWith({ extra: 'aliases: [kubectl, psql]' });
    const before = await runGuard([], sandbox.env);
    expect(before.stdout).toContain(`○ not signed in — profile ${sandbox.profile} (${idp.issuer}); run: guard login --profile ${sandbox.profile}`);
    expect(before.stdout).toContain('shell aliases: kubectl, psql');
    await login(sandbox, { login: 'carol' });
    // A dead D-Bus and a config whose issuer nobody answers: the overview needs neither.
    const offline = { ...sandbox.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(sandbox.dir, 'no-bus')}` };
    const after = await runGuard([], offline);
    expect(after).toMatchObject({ code: 0, stderr: '' });
    expect(after.stdout).toMatch(new RegExp(`^● signed in as carol — profile ${sandbox.profile} \\(${idp.issuer.replace(/[.]/g, '\\.')}\\), session age \\d+s, idle \\d+s$`, 'm'));
    expect((await runGuard(['--profile', 'nope'], offline)).stdout).toContain('! unknown profile "nope"');
    await runGuard(['logout'], sandbox.env);
  });

  it('colours stdout only on a terminal or with FORCE_COLOR, and never with NO_COLOR', async () => {
    const sandbox = sandboxWith();
    const { NO_COLOR: _unused, ...plain } = sandbox.env;
    expect((await runGuard([], plain)).stdout).not.toContain('\u001b[');
    expect((await runGuard([], { ...plain, FORCE_COLOR: '1' })).stdout).toContain('\u001b[1mguard\u001b[22m');
    expect((await runGuard([], { ...plain, FORCE_COLOR: '1', NO_COLOR: '1' })).stdout).not.toContain('\u001b[');

    const onTerminal = terminal({ ...sandbox, env: plain }, GUARD);
    const throughPipe = terminal({ ...sandbox, env: plain }, `${GUARD} | cat`);
    const withEscapes = async (t: Terminal) => {
      expect(await t.exitCode()).toBe(0);
      return t.tmux('capture-pane', '-p', '-e', '-t', 'main');
    };
    expect(await withEscapes(onTerminal)).toContain('\u001b[1mguard');
    expect(await withEscapes(throughPipe)).not.toContain('\u001b[');
  });
});

describe('at a terminal, no inline sign-in when told not to', () => {
  it.each<[string, (marker: string) => string]>([
    ['run --no-prompt', (m) => `${GUARD} run --no-prompt -- touch ${quote(m)}`],
    ['run with CI set', (m) => `CI=true ${GUARD} run -- touch ${quote(m)}`],
    ['token --no-prompt', (m) => `${GUARD} token --no-prompt && touch ${quote(m)}`],
    ['token with CI set', (m) => `CI=1 ${GUARD} token && touch ${quote(m)}`],
  ])('%s: 77 with one line, no device code, the command not run', async (_name, body) => {
    const sandbox = sandboxWith();
    const marker = join(sandbox.dir, 'ran');
    const t = terminal(sandbox, body(marker));
    expect(await t.exitCode()).toBe(77);
    expect(t.screen()).toMatch(/^guard: sign-in required for profile "[^"]+" \(no session\)/);
    expect(t.screen().split('\n')).toHaveLength(1);
    expect(existsSync(marker)).toBe(false);
    expect(auditEvents(sandbox).map((e) => e.event)).not.toContain('login');
  });

  it('the same terminal without them starts the device flow (the rows above fail for the flag alone)', async () => {
    const sandbox = sandboxWith();
    const t = terminal(sandbox, `${GUARD} run -- true`);
    await t.waitFor(SPINNER);
    t.keys('C-c');
    expect(await t.exitCode()).toBe(130);
  });
});

describe('scripting', () => {
  it('--json puts data alone on stdout and messages on stderr', async () => {
    const sandbox = sandboxWith();
    const status = await runGuard(['status', '--json'], sandbox.env);
    expect(status.code).toBe(77);
    expect(JSON.parse(status.stdout)).toMatchObject({ logged_in: false, profile: sandbox.profile });
    const check = await runGuard(['config', 'check', '--json'], sandbox.env);
    expect(JSON.parse(check.stdout)).toMatchObject({ valid: true });
    const explain = await runGuard(['explain', '--json', '--', 'kubectl', 'get', 'pods'], sandbox.env);
    expect(JSON.parse(explain.stdout)).toMatchObject({ command: 'kubectl', profile: sandbox.profile, rules: [], tier: 'standard', decision: 'login', reason: 'no_session' });
    for (const result of [status, check, explain]) expect(result.stderr).toBe('');
  });

  it('--quiet leaves the device-flow screen (it is needed) but drops the chatter', async () => {
    const sandbox = sandboxWith();
    const { runWithApproval } = await import('../support/guard.ts');
    const result = await runWithApproval(['--quiet', 'login'], sandbox.env);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^[A-Z]{4}-[A-Z]{4}$/m);
    expect(result.stderr).not.toContain('signed in as');
    await runGuard(['logout'], sandbox.env);
  });
});

describe('the lines around an inline sign-in (issue 23)', () => {
  it('GUARD_QR=0 leaves the QR code out; after the sign-in "✓ signed in as alice", then the command', async () => {
    const sandbox = sandboxWith();
    sandbox.env.GUARD_QR = '0';
    const t = terminal(sandbox, `${GUARD} run -- echo the-command-ran`);
    const screen = await t.waitFor(SPINNER);
    expect(screen.split('\n').filter((line) => /^[█▀▄ ]{25,}$/.test(line))).toEqual([]);
    expect(screen).toContain('Open this URL in a browser and approve the sign-in:');
    await approveDevice(/^(http:\/\/\S+user_code=\S+)$/m.exec(screen)![1]!, { login: 'alice' });
    expect(await t.exitCode()).toBe(0);
    expect(t.screen().split('\n').slice(-2)).toEqual(['✓ signed in as alice', 'the-command-ran']);
    await runGuard(['logout'], sandbox.env);
  });

  it('a second guard waiting for the first one\'s sign-in says which process (pid, terminal) it waits for', async () => {
    const sandbox = sandboxWith();
    const first = terminal(sandbox, `${GUARD} run -- true`);
    const screen = await first.waitFor(SPINNER);
    const { startGuard, collect } = await import('../support/guard.ts');
    let waiting = '';
    let approved: Promise<unknown> | undefined;
    const second = collect(startGuard(['run', '--prompt', '--', 'echo', 'second'], sandbox.env), (stderr) => {
      waiting = stderr;
      if (!approved && /waiting for it/.test(stderr)) approved = approveDevice(/^(http:\/\/\S+user_code=\S+)$/m.exec(screen)![1]!);
    });
    // The second needs no sign-in of its own once the first is done: it waited, then ran.
    const result = await second;
    await approved;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('second\n');
    expect(waiting).toMatch(new RegExp(`^guard: another guard process \\(pid \\d+ in pts/\\d+\\) is signing in to profile "${sandbox.profile}"; waiting for it \\(Ctrl-C to stop\\)$`, 'm'));
    expect(await first.exitCode()).toBe(0);
    await runGuard(['logout'], sandbox.env);
  });
});
