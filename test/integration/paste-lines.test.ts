/**
 * Lines meant to be pasted are safe to paste (issue 24, item 3). Each
 * command line guard prints for a person to run — kubeconfig's undo line,
 * "run: guard login --profile …", init's "Next:" lines, doctor's fixes,
 * the hint to trust a project file — is made by the real guard with a
 * hostile value (a kubeconfig context, a profile, a folder name), pasted
 * into a real shell in which `guard`, `chmod` and `ls` are fakes that log
 * their argv, and must give exactly the argv guard meant while
 * nothing else runs (every attack here would create a file in the shell's
 * empty working folder).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startIdp } from '../support/idp.ts';
import { configFor, createSandbox, runGuard, type Sandbox } from '../support/guard.ts';
import { useServer } from '../support/use-server.ts';

const idp = useServer(() => startIdp());

/** Values from outside (vendors' kubeconfigs, a colleague's config, a cloned repository's folder names). */
const HOSTILE = [
  'dev;touch${IFS}pwned-semicolon;#',
  '$(touch pwned-subst)',
  '`touch pwned-backtick`',
  `it's "quoted" \\ and 'more'`,
  'two words  and spaces',
  'prød-ünïcode-✓',
  '-rf',
  '--undo',
  '~root',
  '=ls',
  '*',
  'a|touch pwned-pipe&&touch pwned-and',
];
/** Control characters: printed as $'…' (SPEC §13 keeps raw ones off the terminal), exact in bash and zsh, harmless in dash. */
const CONTROL = ['line\nbreak;touch pwned-newline', 'tab\there', 'esc\u001b[2J\u202ebidi\u007f'];

const fakes = mkdtempSync(join(tmpdir(), 'guard-paste-fakes-'));
afterAll(() => rmSync(fakes, { recursive: true, force: true }));
for (const name of ['guard', 'chmod', 'ls']) {
  // Each run leaves one file: its argv, NUL-separated (no argument can hold a NUL).
  writeFileSync(join(fakes, name), `#!/bin/sh\nprintf '%s\\0' ${name} "$@" > "$PASTE_LOG/$$"\n`);
  chmodSync(join(fakes, name), 0o755);
}

interface Pasted {
  /** The argv of each fake that ran. */
  ran: string[][];
  /** Files the line created in the shell's (empty) working folder. */
  created: string[];
}

/** Pastes `line` into a real `shell -c` with the fakes first on PATH, in an empty folder. */
function paste(line: string, shell = 'sh', env: NodeJS.ProcessEnv = {}): Pasted {
  const cwd = mkdtempSync(join(tmpdir(), 'guard-paste-'));
  const log = mkdtempSync(join(tmpdir(), 'guard-paste-log-'));
  try {
    execFileSync(shell, ['-c', line], { cwd, env: { PATH: `${fakes}:${process.env.PATH}`, HOME: cwd, PASTE_LOG: log, ...env }, stdio: ['ignore', 'ignore', 'ignore'] });
  } catch {
    // a shell error is fine: what ran is what counts
  }
  const ran = readdirSync(log).map((file) => readFileSync(join(log, file), 'utf8').split('\0').slice(0, -1));
  const created = readdirSync(cwd);
  for (const dir of [cwd, log]) rmSync(dir, { recursive: true, force: true });
  return { ran, created };
}

/**
 * The command a person selects in a line of text: from `marker` on, the
 * shell words (bare, '…', $'…' and the \' between quotes) up to the first
 * thing that is not one — the prose around the command (" (guard
 * git-credential signs in …)", ", then …") is not part of it.
 */
function commandAfter(line: string, marker: string): string {
  const at = line.indexOf(marker);
  expect(at, `"${marker}" in ${JSON.stringify(line)}`).toBeGreaterThanOrEqual(0);
  const WORD = /^(?:[A-Za-z0-9_./:@+=%~*?!^[\]{}-]|'[^']*'|\$'(?:[^'\\]|\\.)*'|\\')+/;
  let rest = line.slice(at + marker.length);
  const words: string[] = [];
  for (;;) {
    const word = WORD.exec(rest)?.[0];
    if (!word) break;
    words.push(word);
    rest = rest.slice(word.length);
    if (!rest.startsWith(' ')) break;
    rest = rest.slice(1);
  }
  return words.join(' ');
}

/** The only line of `text` that contains `marker`. */
function lineWith(text: string, marker: string): string {
  const found = text.split('\n').filter((line) => line.includes(marker));
  expect(found, text).toHaveLength(1);
  return found[0]!;
}

/** Pastes the line (or the command in it) into sh, bash and zsh: each runs exactly `argv`, and nothing else. */
function expectPastes(line: string, argv: string[]): void {
  expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/); // SPEC §13: nothing raw reaches the terminal
  const control = argv.some((word) => /[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/.test(word));
  for (const shell of ['sh', 'bash', 'zsh']) {
    const pasted = paste(line, shell);
    expect(pasted.created, `${shell}: ${line}`).toEqual([]);
    // dash (Debian's sh) has no $'…': the word arrives as "$" and its escaped text — wrong, but it runs nothing.
    if (control && shell === 'sh') expect(pasted.ran.length, line).toBeLessThanOrEqual(1);
    else expect(pasted.ran, `${shell}: ${line}`).toEqual([argv]);
  }
}

/** JSON (which YAML reads) with DEL and C1 escaped too: YAML takes no raw control character. */
const yamlText = (value: unknown) => JSON.stringify(value).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

function kubeconfigWith(sandbox: Sandbox, contexts: string[]): string {
  const file = join(sandbox.dir, 'kubeconfig');
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'https://kube.example.test' } }],
    contexts: contexts.map((name) => ({ name, context: { cluster: 'c', user: 'u' } })),
    users: [{ name: 'u', user: { token: 'static' } }],
  };
  writeFileSync(file, yamlText(doc), { mode: 0o600 }); // every name written exactly
  return file;
}

describe.each([...HOSTILE, ...CONTROL])('pasting what guard prints for %j', (value) => {
  it("kubeconfig's undo line", async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, idp.issuer));
    const env = { ...sandbox.env, KUBECONFIG: kubeconfigWith(sandbox, [value]) };
    const result = await runGuard(['kubeconfig', '--context', value], env);
    expect(result.code, result.stderr).toBe(0);
    const line = lineWith(result.stdout, 'undo: ');
    expectPastes(line.slice(line.indexOf('undo: ') + 6), ['guard', 'kubeconfig', '--context', value, '--undo']);
    // And the undo it names works: guard itself reads the value back.
    const undone = await runGuard(['kubeconfig', '--context', value, '--undo'], env);
    expect(undone.code, undone.stderr).toBe(0);
  });

  it('"run: guard login --profile …" in the refusal of a command without a session', async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, idp.issuer).replace(`  ${sandbox.profile}:`, `  ${yamlText(value)}:`));
    const result = await runGuard(['run', '--no-prompt', '--', 'true'], { ...sandbox.env, GUARD_PROFILE: value });
    expect(result.code, result.stderr).toBe(77);
    expectPastes(commandAfter(lineWith(result.stderr, 'run: '), 'run: '), ['guard', 'login', '--profile', value]);
  });

  it("init's Next: lines, for a kubeconfig context and for the shell's start-up file (under ZDOTDIR)", async () => {
    const sandbox = createSandbox();
    const zdotdir = join(sandbox.dir, value.replace(/\//g, '_'));
    mkdirSync(zdotdir);
    const env = { ...sandbox.env, KUBECONFIG: kubeconfigWith(sandbox, [value]), SHELL: '/bin/zsh', ZDOTDIR: zdotdir };
    const init = await runGuard(['init', '--issuer', idp.issuer, '--client-id', 'guard-cli', '--yes'], env);
    expect(init.code, init.stderr).toBe(0);
    const next = init.stderr.slice(init.stderr.indexOf('Next:'));
    expectPastes(lineWith(next, 'guard kubeconfig').trim(), ['guard', 'kubeconfig', '--context', value]);
    expectPastes(lineWith(next, 'guard doctor').trim(), ['guard', 'doctor']);
    // `guard shell-init --rc-line zsh >> ~/…/.zshrc` (guard by its own path): pasted, it appends the rc line to the file guard named, and does nothing else.
    const line = lineWith(next, 'shell-init').trim();
    expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
    const rcLine = await runGuard(['shell-init', '--rc-line', 'zsh'], env);
    expect(rcLine.stdout).toContain('shell-init zsh');
    for (const shell of CONTROL.includes(value) ? ['bash', 'zsh'] : ['sh', 'bash', 'zsh']) {
      rmSync(join(zdotdir, '.zshrc'), { force: true });
      expect(paste(line, shell, { HOME: sandbox.dir }).created).toEqual([]);
      expect(readFileSync(join(zdotdir, '.zshrc'), 'utf8'), `${shell}: ${line}`).toBe(rcLine.stdout);
    }
  });

  it("doctor's fixes (a context that does not use guard, an untrusted project file, a state folder others can read) and the hint to trust the file", async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, idp.issuer));
    const project = join(sandbox.dir, value.replace(/\//g, '_'));
    mkdirSync(project);
    const file = join(project, '.guard.yaml');
    writeFileSync(file, 'version: 1\n');
    const stateDir = join(project, 'state');
    mkdirSync(stateDir, { mode: 0o755 });
    chmodSync(stateDir, 0o755);
    const env = { ...sandbox.env, GUARD_STATE_DIR: stateDir, KUBECONFIG: kubeconfigWith(sandbox, [value]) };
    const doctor = await runGuard(['doctor'], env, { cwd: project });
    expectPastes(commandAfter(lineWith(doctor.stdout, 'to guard one: '), 'to guard one: '), ['guard', 'kubeconfig', '--context', value]);
    expectPastes(commandAfter(lineWith(doctor.stdout, 'not trusted, so ignored'), 'then: '), ['guard', 'trust', file]);
    expectPastes(commandAfter(lineWith(doctor.stdout, 'state folder'), 'fix: '), ['chmod', '700', stateDir]);
    const run = await runGuard(['run', '--no-prompt', '--', 'true'], env, { cwd: project });
    expectPastes(commandAfter(lineWith(run.stderr, 'guard trust'), 'then run: '), ['guard', 'trust', file]);
  });
});
