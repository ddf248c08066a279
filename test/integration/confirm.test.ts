/**
 * Prompts that cannot be outwaited (SPEC §14, issue 23), at a real
 * terminal (tmux): a `confirm: true` question is asked on the controlling
 * terminal even when stdin is a pipe (and the command still gets its
 * stdin, byte for byte); it times out when a limit of the tier fires (no
 * answer is a no); an answer is decided again, so a "yes" after a limit
 * fired starts a sign-in (or refuses), never the command; and where no
 * terminal can answer, guard refuses (77) before any sign-in.
 */
import { chmodSync, copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collect, configFor, createSandbox, GUARD_BIN, login, startGuard, type GuardResult, type Sandbox } from '../support/guard.ts';
import { startIdp } from '../support/idp.ts';
import { shellQuote as quote, TmuxPane } from '../support/tmux.ts';
import { setSessionClocks } from '../support/state-file.ts';
import { useServer } from '../support/use-server.ts';
// @ts-expect-error: plain ESM helper shared with the demo and the benchmark
import { approveDevice, findVerificationUrl } from '../../scripts/lib/approve.mjs';

const idp = useServer(() => startIdp());
const panes: TmuxPane[] = [];
afterEach(() => {
  for (const pane of panes.splice(0)) pane.kill();
});
function terminal(sandbox: Sandbox, body: string): TmuxPane {
  const pane = new TmuxPane(sandbox, body);
  panes.push(pane);
  return pane;
}

const GUARD = quote(GUARD_BIN);
const MIN = 60_000;
const QUESTION = /Run "touch [^"]+" \(tier privileged, profile [^)]+\)\? \(y\/N\)/;

function sandboxWithConfirm(): Sandbox {
  const sandbox = createSandbox();
  sandbox.writeConfig(
    configFor(sandbox, idp.issuer, {
      tiers: ['  standard: { idle: 45m, max_session: 12h }', '  privileged: { idle: 15m, max_session: 8h, confirm: true }'].join('\n'),
      rules: ['  - name: touching', '    match: "touch **"', '    tier: privileged', '  - name: copying', '    match: "sh -c *cat*"', '    tier: privileged'].join('\n'),
    }),
  );
  return sandbox;
}


/** Runs guard without a terminal; should it start a device flow (what these tests forbid), it is stopped there rather than left waiting for the code to expire. */
async function runUntilSignIn(args: string[], env: NodeJS.ProcessEnv): Promise<{ result: GuardResult; signInStarted: boolean }> {
  const child = startGuard(args, env);
  let signInStarted = false;
  const result = await collect(child, (stderr) => {
    if (!signInStarted && findVerificationUrl(stderr)) {
      signInStarted = true;
      child.kill();
    }
  });
  return { result, signInStarted };
}

const events = (sandbox: Sandbox) =>
  existsSync(join(sandbox.stateDir, 'audit.jsonl'))
    ? readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
    : [];

describe('a confirmation is a decision in the past', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = sandboxWithConfirm();
    await login(sandbox);
  });

  it('the question times out when the tier\'s idle limit fires: no answer is a no (77, denied, not run)', async () => {
    const marker = join(sandbox.dir, 'timed-out');
    // The idle limit (15m) fires 8 s from now, well before the 60 s cap.
    setSessionClocks(sandbox, { last_activity: Date.now() - 15 * MIN + 8_000 });
    const pane = terminal(sandbox, `${GUARD} run -- touch ${quote(marker)}`);
    await pane.waitFor(QUESTION);
    // Nobody answers. TmuxPane.exitCode gives up after 30 s: a question that waited its full 60 s fails here.
    expect(await pane.exitCode()).toBe(77);
    expect(pane.screen().split('\n').at(-1)).toMatch(/^guard: no answer within \ds \(when the idle limit of tier privileged fires\): "touch" was not run$/);
    expect(existsSync(marker)).toBe(false);
    expect(events(sandbox).at(-1)).toMatchObject({ event: 'denied', reason: 'confirm_timeout', command: 'touch', tier: 'privileged' });
  });

  it('a "yes" given after the idle limit fired starts a sign-in before the command runs', async () => {
    setSessionClocks(sandbox, { last_activity: Date.now() });
    const marker = join(sandbox.dir, 'late-yes');
    const pane = terminal(sandbox, `${GUARD} run -- touch ${quote(marker)}`);
    await pane.waitFor(QUESTION);
    // While the question is open the session goes idle past the tier's 15m (a laptop asleep: the question's own timer did not count it).
    setSessionClocks(sandbox, { last_activity: Date.now() - 20 * MIN });
    pane.keys('y', 'Enter');
    const screen = await pane.waitFor(/Waiting for approval/);
    expect(screen).toMatch(/sign-in needed for profile "[^"]+" \(idle 20m > 15m\)/);
    expect(existsSync(marker)).toBe(false);
    await approveDevice(findVerificationUrl(screen));
    expect(await pane.exitCode()).toBe(0);
    expect(existsSync(marker)).toBe(true);
    const tail = events(sandbox).slice(-3).map((e) => [e.event, e.event === 'login' ? e.reason : e.command]);
    expect(tail).toEqual([['login', 'idle'], ['allowed', 'touch'], ['command_exit', 'touch']]);
  });

  it('…and refuses (77) where no sign-in may start (stdin and stderr not a terminal), the question answered on /dev/tty', async () => {
    const marker = join(sandbox.dir, 'late-yes-no-login');
    const errors = join(sandbox.dir, 'late-yes.err');
    const pane = terminal(sandbox, `: | ${GUARD} run -- touch ${quote(marker)} 2> ${quote(errors)}`);
    await pane.waitFor(QUESTION);
    setSessionClocks(sandbox, { last_activity: Date.now() - 20 * MIN });
    pane.keys('y', 'Enter');
    expect(await pane.exitCode()).toBe(77);
    expect(readFileSync(errors, 'utf8')).toMatch(/^guard: sign-in required for profile "[^"]+" \(idle 20m > 15m\); run: guard login/);
    expect(existsSync(marker)).toBe(false);
  });
});

describe('piped stdin at a terminal', () => {
  it('asks on the terminal and the command gets its stdin untouched', async () => {
    const sandbox = sandboxWithConfirm();
    await login(sandbox);
    const input = join(sandbox.dir, 'migration.bin');
    const output = join(sandbox.dir, 'copied.bin');
    writeFileSync(input, randomBytes(256 * 1024));
    const pane = terminal(sandbox, `${GUARD} run -- sh -c ${quote(`cat > ${output}`)} < ${quote(input)}`);
    await pane.waitFor(/Run "sh -c cat > \S+" \(tier privileged, profile [^)]+\)\? \(y\/N\)/);
    pane.keys('y', 'Enter');
    expect(await pane.exitCode()).toBe(0);
    expect(readFileSync(output).equals(readFileSync(input))).toBe(true);
  });
});

describe('where no terminal can answer, guard refuses before any sign-in', () => {
  it.each<[string, (marker: string) => string, string]>([
    ['--no-prompt', (m) => `${GUARD} run --no-prompt -- touch ${quote(m)}`, '--no-prompt'],
    ['CI set', (m) => `CI=1 ${GUARD} run -- touch ${quote(m)}`, 'CI is set'],
  ])('at a terminal with %s: 77, one line saying how to confirm in a script, no device code', async (_name, body, why) => {
    const sandbox = sandboxWithConfirm(); // no session: a sign-in would be needed first
    const marker = join(sandbox.dir, 'ran');
    const pane = terminal(sandbox, body(marker));
    expect(await pane.exitCode()).toBe(77);
    expect(pane.screen().split('\n')).toEqual([
      `guard: "touch" (tier privileged) needs a confirmation and no terminal can answer (${why}); to confirm in a script: guard run --yes -- touch …, or give it a tier without confirm`,
    ]);
    expect(existsSync(marker)).toBe(false);
    expect(events(sandbox).map((e) => [e.event, e.reason])).toEqual([['denied', 'confirm_needed']]);
  });

  it('without a controlling terminal, even with --prompt: no device flow starts', async () => {
    const sandbox = sandboxWithConfirm();
    const marker = join(sandbox.dir, 'ran');
    const { result, signInStarted } = await runUntilSignIn(['run', '--prompt', '--', 'touch', marker], sandbox.env);
    expect(signInStarted).toBe(false);
    expect(result.code).toBe(77);
    expect(result.stderr).toBe('guard: "touch" (tier privileged) needs a confirmation and no terminal can answer (no controlling terminal); to confirm in a script: guard run --yes -- touch …, or give it a tier without confirm\n');
    expect(events(sandbox).map((e) => e.event)).toEqual(['denied']);
  });
});

describe('the line that says how to confirm in a script', () => {
  it('is quoted for the shell, whatever the program is called', async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(
      configFor(sandbox, idp.issuer, {
        tiers: ['  standard: { idle: 45m, max_session: 12h }', '  privileged: { idle: 15m, max_session: 8h, confirm: true }'].join('\n'),
        rules: ['  - name: everything', '    match: "**"', '    tier: privileged'].join('\n'),
      }),
    );
    const program = join(sandbox.dir, "it's;true");
    copyFileSync('/bin/true', program);
    chmodSync(program, 0o755);
    const { result, signInStarted } = await runUntilSignIn(['run', '--prompt', '--', program], sandbox.env);
    expect(signInStarted).toBe(false);
    expect(result.code).toBe(77);
    expect(result.stderr).toContain(`to confirm in a script: guard run --yes -- 'it'\\''s;true' …, or give it a tier without confirm`);
  });
});

describe('a program that does not exist', () => {
  it.each([
    ['on PATH', 'kubctl'],
    ['by path', './scripts/deplyo.sh'],
  ])('under a privileged rule (%s): 127 with one line, before any sign-in or question', async (_name, program) => {
    const sandbox = createSandbox();
    sandbox.writeConfig(
      configFor(sandbox, idp.issuer, {
        tiers: ['  standard: { idle: 45m, max_session: 12h }', '  privileged: { idle: 15m, max_session: 8h, reauth_within: 10m, confirm: true }'].join('\n'),
        rules: ['  - name: everything-prod', '    match: "** prod"', '    tier: privileged'].join('\n'),
      }),
    );
    const { result, signInStarted } = await runUntilSignIn(['run', '--prompt', '--yes', '--', program, 'get', 'prod'], sandbox.env);
    expect(signInStarted).toBe(false);
    expect(result.code).toBe(127);
    expect(result.stderr).toBe(`guard: command not found: ${program}\n`);
    expect(events(sandbox)).toEqual([]);
  });
});
