import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkPattern, compilePattern, matchPattern } from '../../src/policy/matcher.ts';

const matches = (pattern: string, argv: string) => matchPattern(compilePattern(pattern), argv.split(' ').filter(Boolean));

describe('word-glob matcher (SPEC §2)', () => {
  it.each([
    ['kubectl ** --context=prod*', 'kubectl get pods --context=prod-eu', true],
    ['kubectl ** --context=prod*', 'kubectl --context=prod', true],
    ['kubectl ** --context=prod*', 'kubectl --context=prod get pods', false],
    ['kubectl ** --context=prod*', 'kubectl get pods --context=staging', false],
    ['kubectl ** --context=prod* **', 'kubectl --context=prod get pods', true],
    ['psql *prod*', 'psql postgres://prod-db/app', true],
    ['psql *prod*', 'psql staging', false],
    ['psql *prod*', 'psql prod extra', false],
    ['deploy prod', 'deploy prod', true],
    ['deploy prod', 'deploy prod now', false],
    ['deploy prod', 'deploy production', false],
    ['deploy prod*', 'deploy production', true],
    ['deploy **', 'deploy', true],
    ['** prod', 'anything at all prod', true],
    ['**', '', true],
    ['*', '', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'acb', false],
    ['ab*ba', 'aba', false],
    ['terraform apply', 'terraform  apply', true],
    ['*', 'kubectl', true],
    ['kubectl', 'kubectl get', false],
    ['kubectl * pods', 'kubectl get pods', true],
    ['a.b', 'aXb', false],
  ])('%s ~ %s → %s', (pattern, argv, expected) => {
    expect(matches(pattern, argv)).toBe(expected);
  });

  it('treats regex characters literally', () => {
    expect(matchPattern(compilePattern('rm -rf (.*)'), ['rm', '-rf', '(.*)'])).toBe(true);
    expect(matchPattern(compilePattern('rm -rf (.*)'), ['rm', '-rf', 'x'])).toBe(false);
  });

  it.each([
    ['', 'empty pattern'],
    ['   ', 'empty pattern'],
    ['kubectl a**', '"**" must be a word of its own'],
  ])('rejects bad pattern %j', (pattern, problem) => {
    expect(checkPattern(pattern)).toContain(problem);
  });

  it('matches a 10,000-word argv without backtracking blow-up', () => {
    const argv = Array.from({ length: 10_000 }, (_, i) => `word${i}`);
    const pattern = compilePattern('** *1* ** *2* ** *3* ** nomatch');
    expect(matchPattern(pattern, argv)).toBe(false);
    expect(matchPattern(compilePattern('word0 ** word9999'), argv)).toBe(true);
  });

  it('a literal pattern matches exactly its own words (property)', () => {
    const word = fc.stringMatching(/^[a-z0-9=.-]{1,8}$/);
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 6 }), fc.array(word, { maxLength: 6 }), (a, b) => {
        expect(matchPattern(compilePattern(a.join(' ')), b)).toBe(a.join(' ') === b.join(' '));
        expect(matchPattern(compilePattern(['**', ...a].join(' ')), [...b, ...a])).toBe(true);
      }),
    );
  });
});
