/**
 * The README is the front door (STYLE rule 14): it keeps the two commands
 * newcomers and .ci/run rely on, lists every command of the command table,
 * and links every page under docs/; no link in the README or docs/ points
 * at a file or heading that is not there.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/command-table.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const DOCS = readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md'));

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchorOf = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');

function headings(text: string): Set<string> {
  const found = new Set<string>();
  let code = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) code = !code;
    else if (!code && /^#{1,6} /.test(line)) found.add(anchorOf(line.replace(/^#+ /, '')));
  }
  return found;
}

describe('README.md', () => {
  it('starts with the two commands, exactly', () => {
    expect(README).toMatch(/^# guard\n\n```sh\nnpm ci && npm run demo\nnpm test\n```\n/);
  });

  it('lists every command of the command table', () => {
    const start = README.indexOf('\n## Commands\n');
    expect(start).toBeGreaterThan(0);
    const table = README.slice(start, README.indexOf('\n## ', start + 1));
    for (const command of COMMANDS.filter((c) => c.run)) expect(table).toContain(command.name.startsWith('policy ') ? command.name.slice('policy '.length) : `guard ${command.name}`);
  });

  it('links every page under docs/, and stays a front door', () => {
    for (const page of DOCS) expect(README).toContain(`](docs/${page})`);
    expect(README.split('\n').length).toBeLessThan(330);
  });
});

describe('links', () => {
  it.each(['README.md', ...DOCS.map((page) => `docs/${page}`)])('%s: every relative link and anchor resolves', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue; // https:, mailto:
      const [path, anchor] = target!.split('#') as [string, string | undefined];
      const absolute = path ? resolve(dirname(join(ROOT, file)), path) : join(ROOT, file);
      expect(existsSync(absolute), `${file} links to ${target}`).toBe(true);
      if (anchor) expect(headings(readFileSync(absolute, 'utf8')), `${file} links to ${target}`).toContain(anchor);
    }
  });
});
