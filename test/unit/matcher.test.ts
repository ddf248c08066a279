import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkPattern, compilePattern, matchPattern, type ImpliedFlag } from '../../src/policy/matcher.ts';

const matches = (pattern: string, argv: string) => matchPattern(compilePattern(pattern), argv.split(' ').filter(Boolean));

describe('word-glob matcher (SPEC §2)', () => {
  it.each([
    ['kubectl ** --context=prod*', 'kubectl get pods --context=prod-eu', true],
    ['kubectl ** --context=prod*', 'kubectl --context=prod', true],
    ['kubectl ** --context=prod*', 'kubectl --context=prod get pods', true],
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

  it('a literal pattern of plain words matches exactly its own words (property)', () => {
    const word = fc.stringMatching(/^[a-z0-9=.][a-z0-9=.-]{0,7}$/);
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 6 }), fc.array(word, { maxLength: 6 }), (a, b) => {
        expect(matchPattern(compilePattern(a.join(' ')), b)).toBe(a.join(' ') === b.join(' '));
        expect(matchPattern(compilePattern(['**', ...a].join(' ')), [...b, ...a])).toBe(true);
      }),
    );
  });
});

const run = (pattern: string, argv: string[], implied: ImpliedFlag[] = []) => matchPattern(compilePattern(pattern), argv, { implied });

describe('flag words (SPEC §2: rules must not be sidestepped)', () => {
  it.each([
    // The commands against the README's rule.
    ['kubectl ** --context=prod*', 'kubectl get pods --context=prod-eu', true],
    ['kubectl ** --context=prod*', 'kubectl --context=prod-eu delete pod x', true],
    ['kubectl ** --context=prod*', 'kubectl --context prod-eu delete pod x', true],
    ['kubectl ** --context=prod*', 'kubectl delete pod x', false],
    ['kubectl ** --context=prod*', 'kubectl --context staging delete pod prod', false],
    ['kubectl ** --context=prod*', 'kubectl --context=staging delete prod-pod', false],
    ['kubectl ** --context=prod*', 'kubectl get pods --context', false],
    ['kubectl ** --context=prod*', 'kubectl --contexts=prod get', false],
    // Other words keep their order among what is left.
    ['kubectl delete ** --context=prod*', 'kubectl --context prod delete pod x', true],
    ['kubectl delete ** --context=prod*', 'kubectl get --context prod delete', false],
    ['kubectl delete pod --context=prod*', 'kubectl delete --context=prod pod', true],
    ['kubectl delete pod --context=prod*', 'kubectl delete --context=prod pod x', false],
    // …passing over flags the pattern does not name, which are flags to kubectl too.
    ['kubectl delete ** --context=prod*', 'kubectl --v=5 --all-namespaces delete pod --context=prod', true],
    ['kubectl delete pod --context=prod*', 'kubectl delete --watch pod --context=prod', true],
    ['kubectl get * --context=prod*', 'kubectl get --watch --context=prod', true],
    ['kubectl delete ** --context=prod*', 'kubectl exec pod -- delete --context=prod', false],
    ['kubectl delete --context=prod*', 'kubectl -- --x delete --context=prod', false],
    // Short flags: -n x, -nx, -n=x.
    ['kubectl ** -n=kube-system', 'kubectl -n kube-system delete pod x', true],
    ['kubectl ** -n=kube-system', 'kubectl -nkube-system delete pod x', true],
    ['kubectl ** -n=kube-system', 'kubectl delete pod x -n=kube-system', true],
    ['kubectl ** -n=kube-system', 'kubectl delete pod x -n default', false],
    // Boolean flags (no `=` in the pattern): present anywhere, in a cluster of short ones too.
    ['rm -r **', 'rm dir -r', true],
    ['rm -r **', 'rm -rf dir', true],
    ['rm -r **', 'rm -f dir', false],
    // …but not in a word the pattern reads as another flag's value: `-cprod` is -c=prod.
    ['kubectl ** -r -c=prod*', 'kubectl -cprod get', false],
    ['kubectl ** -r -c=prod*', 'kubectl -r -cprod get', true],
    ['git push --force **', 'git push origin main --force', true],
    ['git push --force **', 'git push --force=true origin', true],
    ['git push --force **', 'git push origin main', false],
    // Several flag words: all must be there.
    ['kubectl ** --context=prod* --namespace=kube-*', 'kubectl --namespace kube-system --context prod get', true],
    ['kubectl ** --context=prod* --namespace=kube-*', 'kubectl --context prod get', false],
    // A flag is never the program, and a `*` in a name keeps the word a plain glob.
    ['** --context=prod*', '--context=prod x', false],
    ['rm -*f*', 'rm -rf', true],
    ['rm -*f* x', 'rm x -rf', false],
  ])('%s ~ %s → %s', (pattern, argv, expected) => {
    expect(matches(pattern, argv)).toBe(expected);
  });

  it('takes implied words like typed flags, and an unknown implied value matches any value (fail closed)', () => {
    const rule = 'kubectl ** --context=prod*';
    expect(run(rule, ['kubectl', 'delete', 'pod', 'x'], [{ name: '--context', value: 'prod-eu' }])).toBe(true);
    expect(run(rule, ['kubectl', 'delete', 'pod', 'x'], [{ name: '--context', value: 'staging' }])).toBe(false);
    expect(run(rule, ['kubectl', 'delete', 'pod', 'x'], [{ name: '--context', value: undefined }])).toBe(true);
    expect(run(rule, ['kubectl', 'delete', 'pod', 'x'], [{ name: '--namespace', value: 'prod' }])).toBe(false);
    // Implied words never disturb patterns without flag words.
    expect(run('kubectl get pods', ['kubectl', 'get', 'pods'], [{ name: '--context', value: 'prod' }])).toBe(true);
  });

  it('matches a flag under its other spelling for the program (psql -h is --host)', () => {
    const psql = new Map([['--host', ['-h']], ['-h', ['--host']]]);
    expect(matchPattern(compilePattern('psql ** --host=*prod*'), ['psql', '-h', 'prod-db', 'app'], { aliases: psql })).toBe(true);
    expect(matchPattern(compilePattern('psql ** --host=*prod*'), ['psql', '-hprod-db'], { aliases: psql })).toBe(true);
    expect(matchPattern(compilePattern('psql ** -h=*prod*'), ['psql', '--host=prod-db'], { aliases: psql })).toBe(true);
    expect(matchPattern(compilePattern('psql ** -h=*prod*'), ['psql'], { implied: [{ name: '--host', value: 'prod-db' }], aliases: psql })).toBe(true);
    expect(matchPattern(compilePattern('psql ** --host=*prod*'), ['psql', '-h', 'prod-db'])).toBe(false);
  });

  it('matches an abbreviated long flag where the program accepts one (getopt_long: psql --ho is --host)', () => {
    const pattern = compilePattern('psql ** --host=*prod*');
    expect(matchPattern(pattern, ['psql', '--ho=prod-db'], { abbreviates: true })).toBe(true);
    expect(matchPattern(pattern, ['psql', '--hos', 'prod-db', 'app'], { abbreviates: true })).toBe(true);
    expect(matchPattern(pattern, ['psql', '--hostx=prod-db'], { abbreviates: true })).toBe(false);
    expect(matchPattern(pattern, ['psql', '--ho=prod-db'])).toBe(false);
  });

  it('matches a 20,000-word argv with flag words in linear passes', () => {
    const argv = ['kubectl', ...Array.from({ length: 20_000 }, (_, i) => (i % 3 === 0 ? `--flag${i}` : `word${i}`)), '--context', 'prod-eu'];
    expect(matchPattern(compilePattern('kubectl ** --context=prod* --flag0 nomatch **'), argv)).toBe(false);
    expect(matchPattern(compilePattern('kubectl ** --context=prod* --flag0 -x=* **'), argv)).toBe(false);
    expect(matchPattern(compilePattern('kubectl --flag0 word1 ** --context=prod*'), argv)).toBe(true);
  });
});

/** One flag of a generated argv: its name, whether it takes a value, and the value. */
interface GenFlag {
  name: string;
  value?: string;
}

/** Writes a flag in one of the forms a parser accepts: `--n=v` / `--n v`, and `-nv` for a short one. */
function writeFlag(flag: GenFlag, form: number): string[] {
  if (flag.value === undefined) return [flag.name];
  const short = flag.name.length === 2;
  switch (form % (short ? 3 : 2)) {
    case 0: return [`${flag.name}=${flag.value}`];
    case 1: return [flag.name, flag.value];
    default: return [`${flag.name}${flag.value}`];
  }
}

/** Positional words in order, flags inserted at the given slots (after the program), each in the given form. */
function layout(program: string, positional: string[], flags: GenFlag[], slots: number[], forms: number[]): string[] {
  const rest = [...positional];
  const placed = flags.map((flag, i) => ({ slot: slots[i]! % (rest.length + 1), words: writeFlag(flag, forms[i]!) }));
  const out: string[][] = rest.map((word) => [word]);
  out.push([]);
  const buckets = Array.from({ length: rest.length + 1 }, () => [] as string[]);
  for (const { slot, words } of placed) buckets[slot]!.push(...words);
  return [program, ...buckets.flatMap((bucket, i) => [...bucket, ...(i < rest.length ? [rest[i]!] : [])])];
}

describe('flag words (properties)', () => {
  const VALUE_FLAGS = ['--context', '--namespace', '--user', '-n', '-c'];
  const BOOL_FLAGS = ['--force', '-r'];
  const value = fc.constantFrom('prod-eu', 'prod', 'staging', 'dev', 'p', 'eu');
  const valueGlob = fc.constantFrom('prod*', '*', 'staging', 'p*', '*eu', 'dev');
  const plain = fc.constantFrom('get', 'pods', 'delete', 'x', 'prod');
  const patternWord = fc.constantFrom('get', 'pods', 'delete', 'x', '**', '*', 'pro*');
  const flagsArb = fc
    .uniqueArray(fc.constantFrom(...VALUE_FLAGS, ...BOOL_FLAGS), { maxLength: 4 })
    .chain((names) => fc.tuple(...names.map((name) => (BOOL_FLAGS.includes(name) ? fc.constant<GenFlag>({ name }) : value.map((v): GenFlag => ({ name, value: v }))))));
  const slotsAndForms = fc.tuple(fc.array(fc.nat(), { minLength: 4, maxLength: 4 }), fc.array(fc.nat(), { minLength: 4, maxLength: 4 }));

  it('where flags stand and how they are written never changes the verdict', () => {
    fc.assert(
      fc.property(
        fc.array(plain, { maxLength: 4 }),
        flagsArb,
        fc.array(patternWord, { maxLength: 4 }),
        fc.array(fc.tuple(fc.constantFrom(...VALUE_FLAGS, ...BOOL_FLAGS), valueGlob), { maxLength: 3 }),
        slotsAndForms,
        slotsAndForms,
        (positional, flags, patternWords, patternFlags, [slotsA, formsA], [slotsB, formsB]) => {
          const flagWords = patternFlags.map(([name, glob]) => (BOOL_FLAGS.includes(name) ? name : `${name}=${glob}`));
          // Only flags the pattern names are moved: other argv flags are plain words, whose place matters.
          const named = new Set(patternFlags.map(([name]) => name));
          const moved = flags.filter((flag) => named.has(flag.name));
          const pattern = compilePattern(['kubectl', ...patternWords, ...flagWords].join(' '));
          const a = layout('kubectl', positional, moved, slotsA, formsA);
          const b = layout('kubectl', positional, moved, slotsB, formsB);
          expect(matchPattern(pattern, a)).toBe(matchPattern(pattern, b));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('an argv matches the pattern made of its own words and flags in every order and form', () => {
    fc.assert(
      fc.property(fc.array(plain, { maxLength: 4 }), flagsArb, slotsAndForms, fc.array(fc.nat(), { minLength: 4, maxLength: 4 }), (positional, flags, [slots, forms], order) => {
        const flagWords = flags.map((flag, i) => ({ word: flag.value === undefined ? flag.name : `${flag.name}=${flag.value}`, at: order[i]! }));
        // Flag words may stand anywhere in the pattern too.
        const words = ['kubectl', ...positional];
        for (const { word, at } of flagWords) words.splice(1 + (at % words.length), 0, word);
        expect(matchPattern(compilePattern(words.join(' ')), layout('kubectl', positional, flags, slots, forms))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('a flag value that does not match stays unmatched in every order and form', () => {
    fc.assert(
      fc.property(fc.array(plain, { maxLength: 4 }), fc.constantFrom(...VALUE_FLAGS), fc.constantFrom('staging', 'dev', 'eu'), slotsAndForms, (positional, name, other, [slots, forms]) => {
        const pattern = compilePattern(`kubectl ** ${name}=prod*`);
        expect(matchPattern(pattern, layout('kubectl', positional, [{ name, value: other }], slots, forms))).toBe(false);
        expect(matchPattern(pattern, layout('kubectl', positional, [{ name, value: `prod-${other}` }], slots, forms))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('patterns without flag words match exactly as a plain backtracking word glob does', () => {
    const reference = (pattern: string[], argv: string[]): boolean => {
      if (pattern.length === 0) return argv.length === 0;
      const [head, ...tail] = pattern;
      if (head === '**') return argv.some((_, i) => reference(tail, argv.slice(i))) || reference(tail, []);
      if (argv.length === 0) return false;
      const regex = new RegExp(`^${head!.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
      return regex.test(argv[0]!) && reference(tail, argv.slice(1));
    };
    const word = fc.constantFrom('a', 'b', 'ab', '-a', '--b=1', 'a=b');
    const pword = fc.constantFrom('a', 'b', '*', '**', 'a*', '*b', '*=*');
    fc.assert(
      fc.property(fc.array(pword, { minLength: 1, maxLength: 5 }), fc.array(word, { maxLength: 6 }), (pattern, argv) => {
        expect(matchPattern(compilePattern(pattern.join(' ')), argv)).toBe(reference(pattern, argv));
      }),
      { numRuns: 2000 },
    );
  });
});
