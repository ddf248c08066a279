/**
 * Every command's --help has a description and examples (issue 5): walks
 * the real commander program, so a command added without them fails here.
 */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli.ts';

function walk(command: Command, path: string[] = []): Array<[string, Command]> {
  return [[path.join(' ') || '(guard)', command], ...command.commands.flatMap((child) => walk(child, [...path, child.name()]))];
}

function helpOf(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (chunk) => void (text += chunk), writeErr: (chunk) => void (text += chunk) });
  command.outputHelp();
  return text;
}

describe('--help', () => {
  const commands = walk(buildProgram(async () => undefined));

  it('covers the commands of issue 5', () => {
    expect(commands.map(([path]) => path)).toEqual(expect.arrayContaining(['shell-init', 'completion', 'touch', 'lock', 'config', 'config check']));
  });

  it.each(commands)('%s has a description and examples', (_path, command) => {
    expect(command.description().length).toBeGreaterThan(10);
    const help = helpOf(command);
    expect(help).toMatch(/\nExamples:\n {2}\$ .*guard/);
  });

  it('guard --help lists every exit code of the man page, from the one table (SPEC §5)', async () => {
    const { PROGRAM } = await import('../../src/command-table.ts');
    const help = helpOf(commands[0]![1]);
    for (const [code, meaning] of PROGRAM.exitStatus) expect(help).toMatch(new RegExp(`\\n {2}${code.replace('+', '\\+')} +${meaning.replace(/[()]/g, '\\$&')}\\n`));
  });

  it('explains the shell-init lines for each shell and how to undo them', () => {
    const shellInit = commands.find(([path]) => path === 'shell-init')![1];
    const help = helpOf(shellInit);
    for (const shell of ['bash', 'zsh', 'fish']) expect(help).toContain(`guard shell-init --rc-line ${shell} >> `);
    expect(help).toContain('eval "$(guard shell-init bash)"');
    expect(help).toContain('--uninstall');
    expect(help).toContain('refuses (exit 78) until the config is');
  });
});
