/**
 * guard(1) is generated from the command table: the checked-in man/guard.1
 * must be exactly what the renderer prints now (run `npm run completions`
 * after changing a command), it must name every command and visible option,
 * and groff must render it without a warning.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMMANDS, GLOBAL_OPTIONS, manPage } from '../../src/command-table.ts';
import { renderManPage, roffText } from '../../src/ui/man-page.ts';

const FILE = fileURLToPath(new URL('../../man/guard.1', import.meta.url));

describe('man/guard.1', () => {
  it('matches the generator (else run: npm run completions)', () => {
    expect(readFileSync(FILE, 'utf8')).toBe(renderManPage(manPage()));
  });

  it('groff renders it without a warning, and man -l shows every section', () => {
    const groff = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', FILE], { encoding: 'utf8' });
    expect(groff.status).toBe(0);
    expect(groff.stderr).toBe('');
    const shown = execFileSync('man', ['-l', FILE], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '200', MANPAGER: 'cat', PAGER: 'cat' } });
    for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'GLOBAL OPTIONS', 'COMMANDS', 'EXIT STATUS', 'ENVIRONMENT', 'FILES', 'SEE ALSO']) {
      expect(shown).toMatch(new RegExp(`^${section}$`, 'm'));
    }
    // Every command that runs has its heading; every visible option its line, in plain ASCII as typed.
    for (const command of COMMANDS.filter((c) => c.run)) expect(shown).toMatch(new RegExp(`^ {3}guard ${command.name}( |$)`, 'm'));
    for (const option of [...GLOBAL_OPTIONS, ...COMMANDS.flatMap((c) => c.options ?? [])].filter((o) => !o.hidden)) {
      const long = option.flags.split(/[ ,]+/).find((word) => word.startsWith('--'))!;
      expect(shown).toContain(long);
    }
    expect(shown).toMatch(/^ {7}78 {5}configuration invalid/m);
  });
});

describe('roff text', () => {
  it('escapes what roff would read as requests or escapes, and writes non-ASCII as groff escapes', () => {
    expect(roffText('.hidden request\n\'another')).toBe('\\&.hidden request\n\\&\'another');
    expect(roffText('C:\\path --flag')).toBe('C:\\epath \\-\\-flag');
    expect(roffText('psql… — ok')).toBe('psql\\[u2026] \\[u2014] ok');
  });
});
