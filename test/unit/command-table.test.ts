/**
 * One description per command (STYLE rule 12): the commander program, the
 * fast path and the reserved words of the config come from command-table.ts.
 */
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli.ts';
import { builtinWords, COMMANDS } from '../../src/command-table.ts';
import { parseFastPath } from '../../src/fast-path.ts';
import { BUILTIN_COMMANDS } from '../../src/policy/names.ts';

describe('the command table', () => {
  it('is what the config validator reserves: a named command cannot shadow a built-in one', () => {
    expect(new Set(builtinWords())).toEqual(new Set(BUILTIN_COMMANDS));
  });

  it('builds every command of the commander program, with its options', () => {
    const program = buildProgram(async () => undefined);
    for (const def of COMMANDS) {
      let command = program;
      for (const word of def.name.split(' ')) command = command.commands.find((c) => c.name() === word)!;
      expect(command, def.name).toBeDefined();
      expect(command.description()).toBe(def.summary);
      const flags = command.options.map((option) => option.flags);
      for (const option of def.options ?? []) expect(flags, def.name).toContain(option.flags);
    }
  });
});

describe('the fast path', () => {
  it('answers run, token and named commands with global options before or after the name', () => {
    expect(parseFastPath(['run', '--', 'kubectl', 'get', 'pods'])).toMatchObject({ command: { name: 'run' }, args: ['kubectl', 'get', 'pods'] });
    expect(parseFastPath(['--profile', 'p', 'run', '--tier=privileged', '--no-prompt', '--', 'x'])).toMatchObject({ options: { profile: 'p', tier: 'privileged', prompt: false }, args: ['x'] });
    expect(parseFastPath(['run', '--profile=p', '-q', '--', 'x'])).toMatchObject({ options: { profile: 'p', quiet: true } });
    expect(parseFastPath(['token', '--profile', 'p'])).toMatchObject({ command: { name: 'token' }, options: { profile: 'p' } });
    expect(parseFastPath(['--verbose', 'token'])).toMatchObject({ command: { name: 'token' }, options: { verbose: true } });
    expect(parseFastPath(['-y', 'deploy', 'prod'])).toMatchObject({ command: 'named', args: ['deploy', 'prod'], options: { yes: true } });
  });

  it('leaves everything else to commander, which explains usage errors', () => {
    for (const argv of [[], ['status'], ['--json', 'status'], ['run'], ['run', '--tier'], ['token', 'extra'], ['token', '--no-browser'], ['--bogus', 'deploy'], ['--json', 'token'], ['--verbose=1', 'token'], ['config', 'check']]) {
      expect(parseFastPath(argv), argv.join(' ')).toBeUndefined();
    }
  });
});
