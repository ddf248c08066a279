import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellLine, shellPath, shellWord } from '../../src/util/shell-quote.ts';

describe('shellWord: a word to paste', () => {
  it.each([
    ['prod-eu', 'prod-eu'],
    ['--context=prod.eu:1@x+y/z_', '--context=prod.eu:1@x+y/z_'],
    ['', "''"],
    ['two words', "'two words'"],
    ["it's", `'it'\\''s'`],
    ['$(id)', "'$(id)'"],
    ['=ls', "'=ls'"],
    ['~root', "'~root'"],
    ['a,b', "'a,b'"],
    ['ünï', "'ünï'"],
    ['a\nb', "$'a\\x0ab'"],
    ["q'\\\u001b\u202e", "$'q\\x27\\x5c\\x1b\\xe2\\x80\\xae'"],
  ])('%j → %s', (word, quoted) => {
    expect(shellWord(word)).toBe(quoted);
  });

  it('bash reads every form back byte for byte', () => {
    const words = ['plain', "it's \"x\"", 'a\nb\tc\u001b\u007f\u0085\u202e$`\\', '', '-n'];
    const out = execFileSync('bash', ['-c', `printf '%s\\0' ${shellLine(words)}`], { encoding: 'utf8' });
    expect(out.split('\0').slice(0, -1)).toEqual(words);
  });
});

describe('shellPath', () => {
  it.each([
    ['/home/u/.bashrc', '/home/u', '~/.bashrc'],
    ['/home/u/my dir/.zshrc', '/home/u', "~/'my dir/.zshrc'"],
    ['/etc/x y', '/home/u', "'/etc/x y'"],
    ['/home/u', '/home/u', '/home/u'],
  ])('%j under %j → %s', (path, home, quoted) => {
    expect(shellPath(path, home)).toBe(quoted);
  });
});
