/**
 * The completion scripts are generated from the commander program: the
 * checked-in copies under completions/ must be exactly what the generator
 * prints now (run `npm run completions` after changing a command or option),
 * and every visible command and option must be in them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli.ts';
import { nextCommandWords, renderCompletion } from '../../src/commands/completion.ts';
import { allCommands, describeProgram, optionsAt, valueOptions } from '../../src/shell/completion-model.ts';
import { chooseShell, isFunctionName } from '../../src/shell/shells.ts';
import { quoteFish } from '../../src/util/shell-quote.ts';
import { quotePosix } from '../../src/util/shell-quote.ts';
import { isGuardError } from '../../src/errors.ts';
import type { Config, NamedCommand } from '../../src/policy/types.ts';

const program = () => buildProgram(async () => undefined);
const FILES = { bash: 'guard.bash', zsh: '_guard', fish: 'guard.fish' } as const;

describe('checked-in completion scripts', () => {
  it.each(Object.entries(FILES))('completions/%s matches the generator (else run: npm run completions)', (shell, file) => {
    const checkedIn = readFileSync(new URL(`../../completions/${file}`, import.meta.url), 'utf8');
    expect(checkedIn).toBe(renderCompletion(shell as keyof typeof FILES, program()));
  });

  it('do not depend on the environment or config', () => {
    const before = renderCompletion('bash', program());
    process.env.GUARD_CONFIG = '/nonexistent/guard.yaml';
    try {
      expect(renderCompletion('bash', program())).toBe(before);
    } finally {
      delete process.env.GUARD_CONFIG;
    }
  });
});

describe('the completion model', () => {
  const root = describeProgram(program());

  it('completes guard kubeconfig --context with the kubeconfig\'s contexts, in every shell', () => {
    expect(valueOptions(root).get('--context')).toEqual({ kind: 'context' });
    for (const shell of Object.keys(FILES) as Array<keyof typeof FILES>) expect(renderCompletion(shell, program())).toContain('__guard_list contexts');
  });

  it('has every visible command, with a description', () => {
    const paths = allCommands(root).map((c) => c.path.join(' '));
    for (const name of ['login', 'logout', 'status', 'run', 'explain', 'token', 'touch', 'lock', 'config check', 'trust', 'shell-init', 'completion', 'help']) {
      expect(paths).toContain(name);
    }
    for (const command of allCommands(root).slice(1)) expect(command.description, command.path.join(' ')).not.toBe('');
  });

  it('knows which options take what value', () => {
    const values = valueOptions(root);
    expect(values.get('--config')).toEqual({ kind: 'file' });
    expect(values.get('--profile')).toEqual({ kind: 'profile' });
    expect(values.get('--tier')).toEqual({ kind: 'tier' });
    expect(values.has('--json')).toBe(false);
    expect(values.has('--list')).toBe(false); // hidden options stay out of the scripts
  });

  it('gives each command its own and its ancestors’ options, once each', () => {
    const check = allCommands(root).find((c) => c.path.join(' ') === 'config check')!;
    const flags = optionsAt(root, check).flatMap((o) => o.flags);
    expect(flags).toEqual(expect.arrayContaining(['--json', '--config', '--profile', '--verbose', '--help']));
    expect(new Set(flags).size).toBe(flags.length);
  });

  it('completes run and explain arguments as a command line, and shells from the choices', () => {
    const at = (path: string) => allCommands(root).find((c) => c.path.join(' ') === path)!;
    expect(at('run').args).toEqual([{ name: 'command', variadic: true, value: { kind: 'command' } }]);
    expect(at('shell-init').args[0]!.value).toEqual({ kind: 'choices', choices: ['bash', 'zsh', 'fish'] });
    expect(at('help').args[0]!.value).toMatchObject({ kind: 'choices', choices: expect.arrayContaining(['login', 'status', 'shell-init']) });
  });

  it.each(['bash', 'zsh', 'fish'] as const)('%s script names every command and option', (shell) => {
    const script = renderCompletion(shell, program());
    for (const command of allCommands(root).slice(1)) expect(script).toContain(command.name);
    for (const flag of valueOptions(root).keys()) expect(script).toContain(shell === 'fish' ? `-l ${flag.slice(2)}` : flag);
  });
});

describe('named-command words for completion', () => {
  const command = (name: string, description?: string): NamedCommand => ({ name, run: ['echo'], when: [], env: {}, description, origin: { layer: 'user', file: 'c.yaml', line: 1, col: 1 } });
  const config = { commands: new Map([['deploy', command('deploy', 'Deploy it')], ['db connect', command('db connect')], ['db dump', command('db dump', 'Dump')]]) } as unknown as Config;

  it.each([
    [[], [['deploy', 'Deploy it'], ['db', 'db connect, db dump']]],
    [['db'], [['connect', 'runs echo'], ['dump', 'Dump']]],
    [['deploy'], []],
    [['nope'], []],
  ])('after %j offers %j', (typed, expected) => {
    expect(nextCommandWords(config, typed)).toEqual(expected);
  });
});

describe('shells', () => {
  it.each([
    ['bash', {}, 'bash'],
    [undefined, { SHELL: '/usr/bin/zsh' }, 'zsh'],
    [undefined, { SHELL: '/opt/homebrew/bin/fish' }, 'fish'],
  ])('chooses %s with %j', (asked, env, expected) => {
    expect(chooseShell(asked, env, 'guard x SHELL')).toBe(expected);
  });

  it.each([
    ['tcsh', {}],
    [undefined, { SHELL: '/bin/sh' }],
    [undefined, {}],
  ])('refuses %s with %j as a usage error naming the choices', (asked, env) => {
    try {
      chooseShell(asked, env, 'guard x SHELL');
      expect.unreachable();
    } catch (error) {
      expect(isGuardError(error, 'usage')).toBe(true);
      expect((error as Error).message).toContain('guard x bash|zsh|fish');
    }
  });

  it.each(['kubectl', 'psql', 'terraform', 'aws-vault', 'python3.12', 'g++'])('accepts %s as a function name', (name) => {
    expect(isFunctionName(name)).toBe(true);
  });

  it.each(['-rf', '', 'a b', 'x;rm', '$(id)', 'a/b', "it's"])('refuses %j as a function name', (name) => {
    expect(isFunctionName(name)).toBe(false);
  });

  it('quotes words so nothing inside is special', () => {
    expect(quotePosix(`it's $(id) \`x\``)).toBe(`'it'\\''s $(id) \`x\`'`);
    expect(quoteFish(`a'b\\c $x (id)`)).toBe(`'a\\'b\\\\c $x (id)'`);
  });
});
