/**
 * A new shell, as the rc line starts it (SPEC §14 "Shell functions fail
 * closed"; issue 23): real bash, zsh and fish source the line from
 * `guard shell-init --rc-line`, which sources the file guard keeps in its
 * state folder, or runs `guard shell-init` when that file is missing, stale
 * or not safe to source. A `guard` on PATH that logs each call and then runs
 * the real one tells whether a shell start ran guard (Node) at all; the
 * functions themselves call guard by its absolute path.
 */
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdp } from '../support/idp.ts';
import { configFor, createSandbox, GUARD_BIN, login, runGuard, type Sandbox } from '../support/guard.ts';
import { useServer } from '../support/use-server.ts';

const idp = useServer(() => startIdp());

type ShellName = 'bash' | 'zsh' | 'fish';
const SHELLS: Record<ShellName, { argv: string[]; source: string; status: string }> = {
  bash: { argv: ['bash', '--norc', '--noprofile', '-c'], source: '.', status: '$?' },
  zsh: { argv: ['zsh', '-f', '-c'], source: '.', status: '$?' },
  fish: { argv: ['fish', '--no-config', '-c'], source: 'source', status: '$status' },
};

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runShell(shell: ShellName, script: string, env: NodeJS.ProcessEnv, cwd?: string): Promise<Result> {
  const argv = SHELLS[shell].argv;
  const child = spawn(argv[0]!, [...argv.slice(1), script], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** A program that says it ran, with its arguments. */
const fakeProgram = (name: string) => `#!/bin/sh\necho "${name} ran: $*"\n`;

interface ShellSandbox extends Sandbox {
  /** The rc line, in a file a shell sources. */
  rc(shell: ShellName): string;
  /** The guard calls a shell start made through PATH (each a Node start). */
  guardCalls(): string[];
  good: string;
}

/** guard's config with these aliases; fake programs for each; a logging `guard` first on PATH. */
async function shellSandbox(aliases: string[]): Promise<ShellSandbox> {
  const sandbox = createSandbox();
  const bin = join(sandbox.dir, 'bin');
  mkdirSync(bin);
  for (const name of ['kubectl', 'psql', 'terraform', 'helm', 'gcloud']) writeFileSync(join(bin, name), fakeProgram(name), { mode: 0o755 });
  const log = join(sandbox.dir, 'guard-calls.log');
  writeFileSync(join(bin, 'guard'), `#!/bin/sh\necho "$*" >> '${log}'\nexec '${GUARD_BIN}' "$@"\n`, { mode: 0o755 });
  sandbox.env.PATH = `${bin}:${process.env.PATH}`;
  const good = configFor(sandbox, idp.issuer, { extra: `aliases: [${aliases.join(', ')}]` });
  sandbox.writeConfig(good);
  const rcFiles = new Map<ShellName, string>();
  for (const shell of Object.keys(SHELLS) as ShellName[]) {
    const file = join(sandbox.dir, `rc.${shell}`);
    // The rc line's fallback calls guard by its own path; here it calls the logging wrapper instead, to count the calls.
    writeFileSync(file, (await runGuard(['shell-init', '--rc-line', shell], sandbox.env)).stdout.replaceAll(GUARD_BIN, join(bin, 'guard')));
    rcFiles.set(shell, file);
  }
  return {
    ...sandbox,
    good,
    rc: (shell) => `${SHELLS[shell].source} ${rcFiles.get(shell)}`,
    guardCalls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []),
  };
}

const BROKEN = (good: string) => `${good}bogus_key: 1\n`;

describe.each(Object.keys(SHELLS) as ShellName[])('%s: a new shell with a broken config', (shell) => {
  const { status } = SHELLS[shell];
  let sandbox: ShellSandbox;
  beforeAll(async () => {
    sandbox = await shellSandbox(['kubectl', 'terraform']);
    await login(sandbox);
  });
  afterAll(async () => {
    await runGuard(['logout'], sandbox.env);
  });

  it('the last valid config\'s functions refuse (78) without running the program, then work again once the config is fixed', async () => {
    // A working day: a shell starts with the valid config (guard remembers its aliases).
    const before = await runShell(shell, `${sandbox.rc(shell)}; kubectl get pods; echo "status=${status}"`, sandbox.env);
    expect(before.stdout).toBe('kubectl ran: get pods\nstatus=0\n');
    // A typo, then a new shell: the functions are still there, and refuse.
    sandbox.writeConfig(BROKEN(sandbox.good));
    const fixed = join(sandbox.dir, 'fixed.yaml');
    writeFileSync(fixed, sandbox.good);
    const script = [
      sandbox.rc(shell),
      `kubectl get pods; echo "kubectl=${status}"`,
      `terraform apply; echo "terraform=${status}"`,
      // Fixed in the same shell: the same function runs the program again.
      `cp ${fixed} ${sandbox.configPath}`,
      `kubectl get nodes; echo "kubectl=${status}"`,
    ].join('\n');
    const result = await runShell(shell, script, sandbox.env);
    expect(result.stdout).toBe('kubectl=78\nterraform=78\nkubectl ran: get nodes\nkubectl=0\n');
    const lines = result.stderr.trim().split('\n');
    const problem = `invalid configuration: ${sandbox.configPath}:\\d+:\\d+: .*bogus_key`;
    expect(lines[0]).toMatch(new RegExp(`^guard: ${problem}.* — kubectl, terraform refuse \\(78\\) until it is fixed$`));
    expect(lines.slice(1)).toHaveLength(2);
    for (const line of lines.slice(1)) expect(line).toMatch(new RegExp(`^guard: ${problem}`));
  });
});

describe('a config guard never saw valid', () => {
  it.each(Object.keys(SHELLS) as ShellName[])('%s: kubectl and psql refuse (78); nothing else is defined', async (shell) => {
    const sandbox = await shellSandbox(['helm']);
    sandbox.writeConfig(BROKEN(sandbox.good));
    const { status } = SHELLS[shell];
    const result = await runShell(shell, `${sandbox.rc(shell)}; kubectl get pods; echo "kubectl=${status}"; psql -l; echo "psql=${status}"; helm ls; echo "helm=${status}"`, sandbox.env);
    expect(result.stdout).toBe('kubectl=78\npsql=78\nhelm ran: ls\nhelm=0\n');
    expect(result.stderr.split('\n')[0]).toMatch(/^guard: invalid configuration: .* — kubectl, psql refuse \(78\) until it is fixed$/);
  });

  it('a missing configuration file counts as never seen valid', async () => {
    const sandbox = await shellSandbox(['helm']);
    rmSync(sandbox.configPath);
    const result = await runShell('bash', `${sandbox.rc('bash')}; kubectl get pods; echo "kubectl=$?"`, sandbox.env);
    expect(result.stdout).toBe('kubectl=78\n');
    expect(result.stderr).toMatch(/^guard: cannot read the configuration file .*config\.yaml \(ENOENT\).* — kubectl, psql refuse \(78\) until it is fixed\n/);
  });
});

describe('the generated file: a new shell starts no Node while nothing changed', () => {
  it.each(Object.keys(SHELLS) as ShellName[])('%s: the first start runs guard and writes the file (0600); the next ones only source it', async (shell) => {
    const sandbox = await shellSandbox(['kubectl', 'psql']);
    const probe = shell === 'fish' ? 'functions -q' : 'typeset -f >/dev/null';
    const script = `${sandbox.rc(shell)}; ${probe} kubectl; and_or; ${probe} psql; and_or`.replace(/and_or/g, shell === 'fish' ? 'and echo defined' : '[ $? = 0 ] && echo defined');
    const first = await runShell(shell, script, sandbox.env);
    expect(first).toMatchObject({ stdout: 'defined\ndefined\n', stderr: '' });
    expect(sandbox.guardCalls()).toEqual([`shell-init ${shell}`]);
    const file = join(sandbox.stateDir, 'shell', `init.${shell}`);
    expect(readFileSync(file, 'utf8')).toContain('kubectl');
    expect(readFileSync(file).length).toBeGreaterThan(0);
    expect((await import('node:fs')).statSync(file).mode & 0o777).toBe(0o600);
    for (let i = 0; i < 2; i++) expect(await runShell(shell, script, sandbox.env)).toMatchObject({ stdout: 'defined\ndefined\n', stderr: '' });
    expect(sandbox.guardCalls()).toEqual([`shell-init ${shell}`]);
  });
});

describe('the generated file is stale when anything it was made from changed: never fewer guards than the config asks', () => {
  let sandbox: ShellSandbox;
  /** The guard functions a new bash defines, started in `cwd` (the sandbox by default). */
  const defined = async (cwd?: string, env: NodeJS.ProcessEnv = {}) => {
    const script = `${sandbox.rc('bash')}; for n in kubectl psql terraform helm gcloud; do [ "$(type -t $n)" = function ] && echo $n; done`;
    const result = await runShell('bash', script, { ...sandbox.env, ...env }, cwd ?? sandbox.dir);
    expect(result.stderr).toBe('');
    return result.stdout.trim().split('\n').filter(Boolean);
  };
  const calls = () => sandbox.guardCalls().length;
  /**
   * A person edits, then opens a shell a moment later. guard counts an edit made less than
   * 50 ms (init-cache.ts SLACK_MS) before it read its inputs as made after (file times are
   * coarse), so a shell started at once may regenerate the file twice; the compiled guard
   * starts well within that. Not a timing assertion: only the order of edit and shell.
   */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 120));

  beforeAll(async () => {
    sandbox = await shellSandbox(['kubectl']);
    expect(await defined()).toEqual(['kubectl']);
  });

  it('an edit of the config', async () => {
    sandbox.writeConfig(sandbox.good.replace('aliases: [kubectl]', 'aliases: [kubectl, terraform]'));
    await settle();
    const before = calls();
    expect(await defined()).toEqual(['kubectl', 'terraform']);
    expect(calls()).toBe(before + 1);
    expect(await defined()).toEqual(['kubectl', 'terraform']);
    expect(calls()).toBe(before + 1);
  });

  it('an older file moved into place (its mtime is older than the generated file: the ctime tells)', async () => {
    const older = join(sandbox.dir, 'older.yaml');
    writeFileSync(older, sandbox.good.replace('aliases: [kubectl]', 'aliases: [kubectl, terraform, helm]'));
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(older, hourAgo, hourAgo);
    renameSync(older, sandbox.configPath);
    expect(await defined()).toEqual(['kubectl', 'terraform', 'helm']);
  });

  it('a trusted project file above the working directory, and its trust', async () => {
    const project = join(sandbox.dir, 'project');
    const deep = join(project, 'src', 'deep');
    mkdirSync(deep, { recursive: true });
    const file = join(project, '.guard.yaml');
    writeFileSync(file, 'version: 1\naliases: [psql]\n');
    const home = await defined();
    // Untrusted: its aliases do not apply (and the file says so), but the shell asked guard again.
    const before = calls();
    expect(await defined(deep)).toEqual(home);
    expect(calls()).toBe(before + 1);
    expect((await runGuard(['trust', file], sandbox.env)).code).toBe(0);
    expect(home).toEqual(['kubectl', 'terraform', 'helm']);
    expect(await defined(deep)).toEqual(['kubectl', 'psql', 'terraform', 'helm']);
    // Back home: the project's psql goes again.
    expect(await defined()).toEqual(home);
  });

  it('stale by what only the file checks (a project file here), with no guard on PATH: the rc line asks guard by its own path, no function is lost', async () => {
    const elsewhere = join(sandbox.dir, 'elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, '.guard.yaml'), 'version: 1\n');
    const home = await defined();
    expect((await runShell('fish', sandbox.rc('fish'), sandbox.env)).code).toBe(0);
    // No guard on PATH (node stays: the npm launcher needs it).
    const bare = { ...sandbox.env, PATH: '/usr/bin:/bin' };
    const before = calls();
    const bash = await runShell('bash', `${sandbox.rc('bash')}; for n in kubectl terraform helm; do [ "$(type -t $n)" = function ] && echo $n; done`, bare, elsewhere);
    expect(bash.stderr).toBe('');
    expect(bash.stdout.trim().split('\n')).toEqual(home.filter((name) => ['kubectl', 'terraform', 'helm'].includes(name)));
    const fish = await runShell('fish', `${sandbox.rc('fish')}; functions -q kubectl; and echo kubectl`, bare, elsewhere);
    expect(fish.stderr).toBe('');
    expect(fish.stdout).toBe('kubectl\n');
    expect(calls()).toBe(before + 2);
  });

  it('a symlinked working directory is walked as guard walks it (the physical path), with no guard start', async () => {
    const deep = join(sandbox.dir, 'project', 'src', 'deep');
    const link = join(sandbox.dir, 'link-to-deep');
    symlinkSync(deep, link);
    expect(await defined(deep)).toContain('psql');
    const before = calls();
    // $PWD is the logical path (through the link), whose parents hold no project file.
    expect(await defined(link, { PWD: link })).toContain('psql');
    expect(calls()).toBe(before);
  });

  it('another config file named by GUARD_CONFIG', async () => {
    const other = join(sandbox.dir, 'other.yaml');
    writeFileSync(other, sandbox.good.replace(/aliases: \[.*\]/, 'aliases: [gcloud]'));
    expect(await defined(undefined, { GUARD_CONFIG: other })).toEqual(['gcloud']);
    expect(await defined()).not.toContain('gcloud');
  });

  it('a system policy that appears', async () => {
    writeFileSync(sandbox.env.GUARD_SYSTEM_POLICY!, 'version: 1\naliases: [gcloud]\n');
    try {
      expect(await defined()).toContain('gcloud');
    } finally {
      rmSync(sandbox.env.GUARD_SYSTEM_POLICY!);
    }
    expect(await defined()).not.toContain('gcloud');
  });

  it('a config behind symlinks (a dotfiles folder): an edit of the target, and a link re-pointed at an older file', async () => {
    const dotA = join(sandbox.dir, 'dotfiles-a');
    const dotB = join(sandbox.dir, 'dotfiles-b');
    mkdirSync(dotA);
    mkdirSync(dotB);
    writeFileSync(join(dotA, 'guard.yaml'), sandbox.good);
    symlinkSync(join(dotA, 'guard.yaml'), join(dotA, 'config.yaml'));
    // B's file is older than anything guard will write.
    writeFileSync(join(dotB, 'config.yaml'), sandbox.good.replace('aliases: [kubectl]', 'aliases: [kubectl, gcloud]'));
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(join(dotB, 'config.yaml'), hourAgo, hourAgo);
    const folder = join(sandbox.dir, 'dotfiles');
    symlinkSync(dotA, folder);
    const env = { GUARD_CONFIG: join(folder, 'config.yaml') };
    expect(await defined(undefined, env)).toEqual(['kubectl']);
    writeFileSync(join(dotA, 'guard.yaml'), sandbox.good.replace('aliases: [kubectl]', 'aliases: [kubectl, helm]'));
    expect(await defined(undefined, env)).toEqual(['kubectl', 'helm']);
    rmSync(folder);
    symlinkSync(dotB, folder);
    await settle();
    expect(await defined(undefined, env)).toEqual(['kubectl', 'gcloud']);
    const before = calls();
    expect(await defined(undefined, env)).toEqual(['kubectl', 'gcloud']);
    expect(calls()).toBe(before);
  });

  it('guard itself rebuilt or reinstalled (its dist/ folder swapped in anew, as the build and npm do)', async () => {
    // A copy of this guard, so its dist/ can be swapped without touching the one the other tests run.
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const copy = join(sandbox.dir, 'guard-copy');
    for (const part of ['bin', 'dist', 'package.json']) cpSync(join(root, part), join(copy, part), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
    const launcher = join(sandbox.dir, 'bin', 'guard');
    writeFileSync(launcher, readFileSync(launcher, 'utf8').replace(GUARD_BIN, join(copy, 'bin', 'guard')));
    const now = new Date();
    utimesSync(sandbox.configPath, now, now); // a new ctime: the next start runs the copy, which writes the file
    const aliases = await defined();
    const before = calls();
    expect(await defined()).toEqual(aliases);
    expect(calls()).toBe(before);
    cpSync(join(copy, 'dist'), join(copy, 'dist.new'), { recursive: true });
    renameSync(join(copy, 'dist'), join(copy, 'dist.old'));
    renameSync(join(copy, 'dist.new'), join(copy, 'dist'));
    expect(await defined()).toEqual(aliases);
    expect(calls()).toBe(before + 1);
    writeFileSync(launcher, readFileSync(launcher, 'utf8').replace(join(copy, 'bin', 'guard'), GUARD_BIN));
  });

  it('a config path the watch list cannot hold (a ":" in it): no file is kept, every new shell asks guard', async () => {
    const odd = join(sandbox.dir, 'odd:name.yaml');
    writeFileSync(odd, sandbox.good);
    const before = calls();
    for (let i = 0; i < 2; i++) expect(await defined(undefined, { GUARD_CONFIG: odd })).toEqual(['kubectl']);
    expect(calls()).toBe(before + 2);
    expect(existsSync(join(sandbox.stateDir, 'shell', 'init.bash'))).toBe(false);
  });

  it('an invalid config removes the file: every new shell asks guard (and warns) until it is fixed', async () => {
    sandbox.writeConfig(BROKEN(sandbox.good));
    const before = calls();
    const result = await runShell('bash', `${sandbox.rc('bash')}; ${sandbox.rc('bash')}`, sandbox.env);
    expect(result.stderr.match(/refuse \(78\) until it is fixed/g)).toHaveLength(2);
    expect(calls()).toBe(before + 2);
    expect(existsSync(join(sandbox.stateDir, 'shell', 'init.bash'))).toBe(false);
    sandbox.writeConfig(sandbox.good);
  });
});

describe('the generated file is sourced only when it is the user\'s own and nobody else can write it', () => {
  const PWNED = 'echo PWNED\n';
  const tampered: Array<[string, (file: string) => void]> = [
    ['writable by the group', (file) => {
      writeFileSync(file, PWNED);
      chmodSync(file, 0o620);
    }],
    ['writable by others', (file) => {
      writeFileSync(file, PWNED);
      chmodSync(file, 0o602);
    }],
    ['a symlink', (file) => {
      const target = `${file}.target`;
      writeFileSync(target, PWNED, { mode: 0o600 });
      rmSync(file);
      symlinkSync(target, file);
    }],
    ['another user\'s', (file) => {
      writeFileSync(file, PWNED);
      chownSync(file, 65534, 65534);
    }],
    ['in a folder of another user\'s', (file) => {
      chownSync(dirname(file), 65534, 65534);
      writeFileSync(file, PWNED, { mode: 0o600 });
    }],
    ['one whose watch list would hand find an -exec', (file) => {
      writeFileSync(file, `# guard shell-init watches:/nonexistent:-exec:sh:-c:echo PWNED > ${file}.pwned:;\n${PWNED}`, { mode: 0o600 });
    }],
  ];
  it.each(tampered)('%s: not sourced; guard writes it anew', async (_what, tamper) => {
    const sandbox = await shellSandbox(['kubectl']);
    const script = `${sandbox.rc('bash')}; type -t kubectl`;
    expect((await runShell('bash', script, sandbox.env)).stdout).toBe('function\n');
    const file = join(sandbox.stateDir, 'shell', 'init.bash');
    tamper(file);
    const before = sandbox.guardCalls().length;
    const result = await runShell('bash', script, sandbox.env);
    expect(result.stdout).toBe('function\n');
    expect(sandbox.guardCalls()).toHaveLength(before + 1);
    expect(readFileSync(file, 'utf8')).not.toContain('PWNED');
    expect(existsSync(`${file}.pwned`)).toBe(false);
  });
});
