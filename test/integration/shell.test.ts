/**
 * `guard shell-init` and `guard completion` in real bash, zsh and fish: the
 * shells source guard's output, call an alias of a fake `kubectl` (a script
 * in a temporary PATH folder), and guard's decision applies — no session
 * means 77 (no terminal: no inline login), a session runs the real program
 * with its arguments intact and its exit code passed through.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdp } from '../support/idp.ts';
import { configFor, createSandbox, GUARD_BIN, login, runGuard, type Sandbox } from '../support/guard.ts';
import { useServer } from '../support/use-server.ts';

const idp = useServer(() => startIdp());

const COMPLETIONS = new URL('../../completions/', import.meta.url).pathname;

/** A fake kubectl that prints its arguments one per line, and exits 3 when the first one is "fail". */
const FAKE_KUBECTL = `#!/bin/sh
echo "kubectl ran with $# args"
for arg in "$@"; do printf '[%s]\\n' "$arg"; done
[ "$1" = fail ] && exit 3
exit 0
`;

interface ShellCase {
  argv: string[];
  init: string;
  uninstall: string;
  status: string;
  /** Runs its argument in a subshell, then captures a command's output. */
  nested: string;
}

const SHELLS: Record<'bash' | 'zsh' | 'fish', ShellCase> = {
  bash: {
    argv: ['bash', '--norc', '--noprofile', '-c'],
    init: 'eval "$(guard shell-init bash)"',
    uninstall: 'eval "$(guard shell-init --uninstall bash)"',
    status: '$?',
    nested: '(kubectl get nodes); out=$(kubectl get pods); echo "captured: $out"',
  },
  zsh: {
    argv: ['zsh', '-f', '-c'],
    init: 'eval "$(guard shell-init zsh)"',
    uninstall: 'eval "$(guard shell-init --uninstall zsh)"',
    status: '$?',
    nested: '(kubectl get nodes); out=$(kubectl get pods); echo "captured: $out"',
  },
  fish: {
    argv: ['fish', '--no-config', '-c'],
    init: 'guard shell-init fish | source',
    uninstall: 'guard shell-init --uninstall fish | source',
    status: '$status',
    nested: 'begin; kubectl get nodes; end; set out (kubectl get pods | string collect); echo "captured: $out"',
  },
};

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runShell(argv: string[], script: string, env: NodeJS.ProcessEnv): Promise<Result> {
  const child = spawn(argv[0]!, [...argv.slice(1), script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

function auditEvents(sandbox: Sandbox): string[] {
  const file = join(sandbox.stateDir, 'audit.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { event: string }).event);
}

/** A sandbox whose PATH has guard and a fake kubectl (and no psql), with aliases for both. */
function shellSandbox(extra: { rules?: string; tiers?: string; commands?: string } = {}): Sandbox & { fakeBin: string } {
  const sandbox = createSandbox();
  const fakeBin = join(sandbox.dir, 'bin');
  mkdirSync(fakeBin);
  writeFileSync(join(fakeBin, 'kubectl'), FAKE_KUBECTL);
  chmodSync(join(fakeBin, 'kubectl'), 0o755);
  sandbox.writeConfig(configFor(sandbox, idp.issuer, { ...extra, extra: 'aliases: [kubectl, psql-guard-test-missing]' }));
  sandbox.env.PATH = `${fakeBin}:${dirname(GUARD_BIN)}:${process.env.PATH}`;
  return { ...sandbox, fakeBin };
}

describe.each(Object.entries(SHELLS))('%s', (_name, sh) => {
  it('without a session: the alias exits 77, and the real program does not run', async () => {
    const sandbox = shellSandbox();
    const result = await runShell(sh.argv, `${sh.init}; kubectl get pods; echo "status=${sh.status}"`, sandbox.env);
    expect(result.stdout).toBe('status=77\n');
    expect(result.stderr).toMatch(/^guard: sign-in required .*guard login/m);
    expect(auditEvents(sandbox)).toEqual(['denied']);
  });

  it('an alias whose program is not on PATH exits 127 without asking guard', async () => {
    const sandbox = shellSandbox();
    const result = await runShell(sh.argv, `${sh.init}; psql-guard-test-missing -l; echo "status=${sh.status}"`, sandbox.env);
    expect(result.stdout).toBe('status=127\n');
    expect(result.stderr).toBe('guard: psql-guard-test-missing: command not found\n');
    expect(auditEvents(sandbox)).toEqual([]);
  });

  describe('with a session', () => {
    let sandbox: ReturnType<typeof shellSandbox>;
    beforeAll(async () => {
      sandbox = shellSandbox();
      await login(sandbox);
    });
    afterAll(async () => {
      await runGuard(['logout'], sandbox.env);
    });

    it('runs the real program through guard, arguments intact, exit code preserved', async () => {
      const args = `get pods -l 'app=web server' '' '*' '$HOME' 'a"b'`;
      const script = `${sh.init}; kubectl ${args}; echo "status=${sh.status}"; kubectl fail now; echo "status=${sh.status}"`;
      const result = await runShell(sh.argv, script, sandbox.env);
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(
        ['kubectl ran with 8 args', '[get]', '[pods]', '[-l]', '[app=web server]', '[]', '[*]', '[$HOME]', '[a"b]', 'status=0', 'kubectl ran with 2 args', '[fail]', '[now]', 'status=3', ''].join('\n'),
      );
      expect(auditEvents(sandbox).filter((e) => e === 'allowed')).toHaveLength(2);
    });

    it('works in subshells and command substitution, and sourcing twice does not recurse', async () => {
      const result = await runShell(sh.argv, `${sh.init}; ${sh.init}; ${sh.nested}`, sandbox.env);
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe('kubectl ran with 2 args\n[get]\n[nodes]\ncaptured: kubectl ran with 2 args\n[get]\n[pods]\n');
    });

    it('--uninstall removes the functions: the program then runs without guard', async () => {
      const before = auditEvents(sandbox).length;
      const result = await runShell(sh.argv, `${sh.init}; ${sh.uninstall}; kubectl fail; echo "status=${sh.status}"`, sandbox.env);
      expect(result.stdout).toBe('kubectl ran with 1 args\n[fail]\nstatus=3\n');
      expect(auditEvents(sandbox)).toHaveLength(before);
    });
  });
});

describe('rules apply to the real program behind an alias', () => {
  it('matches kubectl rules although the function runs it by its full path', async () => {
    const sandbox = shellSandbox({
      tiers: ['  standard: { idle: 45m, max_session: 12h }', '  privileged: { idle: 15m, max_session: 8h, confirm: true }'].join('\n'),
      rules: ['  - name: prod-kube', '    match: "kubectl ** --context=prod*"', '    tier: privileged'].join('\n'),
    });
    await login(sandbox);
    const result = await runShell(SHELLS.bash.argv, `${SHELLS.bash.init}; kubectl get pods --context=prod-eu; echo "status=$?"; kubectl get pods --context=dev >/dev/null; echo "status=$?"`, sandbox.env);
    expect(result.stdout).toBe('status=77\nstatus=0\n');
    expect(result.stderr).toMatch(/^guard: "kubectl" \(tier privileged\) needs a confirmation and no terminal can answer \(no controlling terminal\); to confirm in a script: guard run --yes -- kubectl …/m);
    const denied = readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8').split('\n').find((line) => line.includes('"denied"'));
    expect(JSON.parse(denied!)).toMatchObject({ command: 'kubectl', tier: 'privileged', reason: 'confirm_needed' });
    await runGuard(['logout'], sandbox.env);
  });
});

describe('shell-init', () => {
  it('says what it does in comments, and nothing for a config without aliases', async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig(configFor(sandbox, idp.issuer));
    const result = await runGuard(['shell-init', 'bash'], sandbox.env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('# No aliases are configured');
    expect(result.stdout).not.toContain('function ');
  });

  it('picks the shell from $SHELL, and refuses one it does not know (64)', async () => {
    const sandbox = shellSandbox();
    expect((await runGuard(['shell-init'], { ...sandbox.env, SHELL: '/usr/bin/fish' })).stdout).toContain('function kubectl --description');
    const unknown = await runGuard(['shell-init'], { ...sandbox.env, SHELL: '/bin/tcsh' });
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toBe('guard: cannot tell your shell from $SHELL (/bin/tcsh); name it: guard shell-init bash|zsh|fish\n');
  });

  it('--uninstall needs no config', async () => {
    const sandbox = createSandbox(); // no config written
    const result = await runGuard(['shell-init', '--uninstall', 'bash'], sandbox.env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('unset -f "$__guard_f"');
  });

  it('with an invalid config it still prints functions (kubectl and psql when it never saw a valid one), with one warning line', async () => {
    const sandbox = createSandbox();
    sandbox.writeConfig('version: 1\naliases: [terraform]\nbogus: 1\n');
    const result = await runGuard(['shell-init', 'zsh'], sandbox.env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("typeset -g __guard_functions='kubectl psql'");
    expect(result.stderr).toMatch(/^guard: invalid configuration: .*config\.yaml:3:1: .*bogus.* — kubectl, psql refuse \(78\) until it is fixed\n$/);
  });
});

describe('completion scripts in real shells', () => {
  let sandbox: Sandbox;
  beforeAll(() => {
    sandbox = shellSandbox({ commands: ['  deploy:', '    run: ["echo", "{args}"]', '    description: Deploy the app', '  db connect:', '    run: ["echo", "db"]', '  db dump:', '    run: ["echo", "dump"]'].join('\n') });
    // guard kubeconfig edits KUBECONFIG's first file: its contexts are the ones to complete, not the second file's.
    const first = join(sandbox.dir, 'kube-first');
    const second = join(sandbox.dir, 'kube-second');
    writeFileSync(first, 'apiVersion: v1\nkind: Config\ncontexts:\n- name: prod-eu\n  context: { cluster: prod, user: admin }\n- name: staging\n  context: { cluster: staging, user: dev }\n');
    writeFileSync(second, 'apiVersion: v1\nkind: Config\ncontexts:\n- name: elsewhere\n  context: { cluster: x, user: y }\n');
    sandbox.env.KUBECONFIG = `${first}:${second}`;
  });

  it('the word lists are silent without a config, and name the list kinds on a typo (64)', async () => {
    const bare = createSandbox();
    expect(await runGuard(['completion', '--list', 'profiles'], bare.env)).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const typo = await runGuard(['completion', '--list', 'profile'], sandbox.env);
    expect(typo.code).toBe(64);
    expect(typo.stderr).toBe('guard: unknown list "profile" (profiles, tiers, commands or contexts)\n');
  });

  it('bash completes commands, named commands, profiles, tiers and the wrapped command', async () => {
    const cases: Array<[string[], string]> = [
      [['guard', 'st'], 'status'],
      [['guard', 'd'], 'doctor deploy db'], // guard's own doctor, then the named commands
      [['guard', 'db', ''], 'connect dump'],
      [['guard', '--profile', ''], sandbox.profile],
      [['guard', 'run', '--tier', ''], 'standard'],
      [['guard', 'run', '--', 'kubec'], 'kubectl'],
      [['guard', 'shell-init', ''], 'bash zsh fish'],
      [['guard', 'config', 'check', '--js'], '--json'],
      [['guard', 'help', 'sh'], 'shell-init'],
      [['guard', 'kubeconfig', '--context', ''], 'prod-eu staging'],
      [['guard', 'kubeconfig', '--context', 'st'], 'staging'],
    ];
    const script = [
      `source ${COMPLETIONS}guard.bash`,
      't() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _guard; echo "${COMPREPLY[*]}"; }',
      ...cases.map(([words]) => `t ${words.map((w) => `'${w}'`).join(' ')}`),
    ].join('\n');
    const result = await runShell(SHELLS.bash.argv, script, sandbox.env);
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\n').slice(0, -1)).toEqual(cases.map(([, expected]) => expected));
  });

  it('fish completes commands, named commands, profiles and the wrapped command', async () => {
    const cases: Array<[string, string]> = [
      ['guard st', 'status'],
      ['guard db ', 'connect dump'],
      ['guard --profile ', sandbox.profile],
      ['guard run --tier ', 'standard'],
      ['guard run -- kubec', 'kubectl'],
      ['guard completion ', 'bash fish zsh'],
      ['guard kubeconfig --context ', 'prod-eu staging'],
    ];
    const script = [
      `source ${COMPLETIONS}guard.fish`,
      ...cases.map(([line]) => `complete -C '${line}' | string replace -r '\\t.*' '' | string join ' '`),
    ].join('\n');
    const result = await runShell(SHELLS.fish.argv, script, sandbox.env);
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\n').slice(0, -1)).toEqual(cases.map(([, expected]) => expected));
  });
});
