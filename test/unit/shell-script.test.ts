import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandArgv } from '../../src/policy/template.ts';
import { checkShellScript, shellScriptIndex } from '../../src/policy/shell-script.ts';

describe('which word is a shell script', () => {
  it.each([
    [['sh', '-c', 'echo {1}'], 2],
    [['/bin/bash', '-euo', 'pipefail', '-c', 'x'], 4],
    [['bash', '-o', 'pipefail', '-ec', 'x', 'name'], 4],
    [['env', 'A=1', 'zsh', '-c', 'x'], 4],
    [['dash', '--', 'x'], undefined],
    [['sh', 'script.sh', '{1}'], undefined],
    [['python3', '-c', 'print({1})'], undefined],
    [['{env.SHELL}', '-c', 'x'], 2],
  ])('%j → %s', (run, index) => {
    expect(shellScriptIndex(run)).toBe(index);
  });
});

const HOSTILE = `x; touch pwned $(touch pwned) \`touch pwned\` ' " \\ $HOME`;

describe('placeholders in sh -c never become code (SPEC §13)', () => {
  it.each([
    ['unquoted', 'printf %s {1}'],
    ['double-quoted', 'printf %s "{1}"'],
    ['single-quoted', "printf %s '{1}'"],
    ['in a heredoc', 'cat <<EOF\n{1}\nEOF'],
    ['after a heredoc', 'cat <<-EOF\n\tx\n\tEOF\nprintf %s {1}'],
    ['in $(…)', 'printf %s "$(printf %s {1})"'],
  ])('%s: the value arrives as one word, unchanged', (_name, script) => {
    const argv = expandArgv(['sh', '-c', script], { args: [HOSTILE], env: {} });
    expect(argv[2]).not.toContain('touch'); // the script holds no part of the value
    const cwd = mkdtempSync(join(tmpdir(), 'guard-sh-'));
    const result = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', cwd });
    expect(result.stdout.replace(/\n$/, '').split('\n').at(-1)).toBe(HOSTILE);
    expect(readdirSync(cwd)).toEqual([]); // nothing was touched
  });

  it('{env.NAME} and the words after the script keep their places', () => {
    const argv = expandArgv(['bash', '-c', 'echo "$0 $1" {env.X}', 'name', '{1}'], { args: ['a'], env: { X: '$(id)' } });
    expect(argv).toEqual(['bash', '-c', 'echo "$0 $1" "${2}"', 'name', 'a', '$(id)']);
    expect(spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' }).stdout).toBe('name a $(id)\n');
  });

  it("refuses a placeholder inside $'…' at config check", () => {
    expect(checkShellScript("echo $'{1}'")).toMatch(/inside \$'…'/);
    expect(checkShellScript("cat <<'EOF'\n{1}\nEOF")).toMatch(/quoted delimiter/);
    expect(checkShellScript("echo '{1}' \"{2}\" {3}")).toBeUndefined();
  });
});
