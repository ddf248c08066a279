import { describe, expect, it } from 'vitest';
import { ruleWarnings } from '../../src/policy/rule-warnings.ts';
import type { Rule } from '../../src/policy/types.ts';

const rule = (match: string): Rule => ({ name: 'r', match, tier: 'privileged', env: {}, origin: { layer: 'user', file: 'c.yaml', line: 3, col: 5 } });
const warn = (match: string) => ruleWarnings([rule(match)]);

describe('config check warnings about rules that can be sidestepped', () => {
  it.each([
    ['kubectl ** \u2014context=prod*', 'em dash (U+2014)', '"--context=prod*"'],
    ['kubectl ** \u2013context=prod*', 'en dash (U+2013)', '"--context=prod*"'],
    ['kubectl ** \u2212n=prod', 'minus sign (U+2212)', '"-n=prod"'],
  ])('a dash look-alike: %s', (match, name, fixed) => {
    const [first] = warn(match);
    expect(first).toMatch(/^c\.yaml:3:5: warning: rule "r": /);
    expect(first).toContain(name);
    expect(first).toContain(`write ${fixed}`);
  });

  it('a value flag written in the space form inside a pattern', () => {
    expect(warn('kubectl ** --context prod*')).toEqual([expect.stringContaining('write "--context=prod*", which matches both')]);
    expect(warn('psql ** -h prod-db')).toEqual([expect.stringContaining('write "-h=prod-db"'), expect.stringContaining('"-h" spells psql\'s --host another way; write "--host"')]);
  });

  it('a glob word on prod with no ** before it: it misses the implied target words after typed ones (psql *prod* misses psql -h prod-db)', () => {
    expect(warn('psql *prod*')).toEqual([expect.stringContaining('"*prod*" is a plain word, but psql finds its target through PGHOST / PGDATABASE or -h / -d, so a prod target reached that way does not match (a glob word reaches the target words only with ** before it: "psql ** *prod*")')]);
    expect(warn('kubectl delete *prod*')).toEqual([expect.stringContaining('"*prod*" is a plain word, but kubectl finds')]);
  });

  it('a kubectl, helm or psql rule that names prod only as a plain word', () => {
    expect(warn('kubectl ** prod*')).toEqual([expect.stringContaining('"prod*" is a plain word, but kubectl finds its target through the kubeconfig\'s current context or --context')]);
    expect(warn('helm ** prod')).toEqual([expect.stringContaining('--kube-context=prod*')]);
    expect(warn('psql prod_app')).toEqual([expect.stringContaining('PGHOST')]);
  });

  it('a rule on a spelling its target word covers better (issue 22)', () => {
    expect(warn('psql ** -h=prod*')).toEqual([expect.stringContaining('"-h=prod*" spells psql\'s --host another way; write "--host=prod*"')]);
    expect(warn('psql ** --ho=prod*')).toEqual([expect.stringContaining('write "--host=prod*"')]);
    expect(warn('kubectl ** --server=https://prod.example.com?x=1*')).toEqual([expect.stringContaining('holds a "?", but guard decides a URL without its query and fragment')]);
    expect(warn('git-credential https://git.example.com/prod#*')).toEqual([expect.stringContaining('holds a "#"')]);
    expect(warn('kubectl ** --server=https://prod.example.com*')).toEqual([]);
    expect(warn('psql ** --db=prod*')).toEqual([expect.stringContaining('"--db=prod*" spells psql\'s --dbname another way')]);
    // psql's getopt refuses --h (--host, --html, --help): no target to name, as psql itself says.
    expect(warn('psql ** --h=prod*').filter((line) => line.includes('spells psql'))).toEqual([]);
    expect(warn('PGHOST=prod-db psql **')).toEqual([expect.stringContaining('names the variable PGHOST, but rules match argv: guard reads PGHOST into the implied word --host=, so write "psql ** --host=prod-db"')]);
    expect(warn('aws ** AWS_PROFILE=prod')).toEqual([expect.stringContaining('write "aws ** --profile=prod"')]);
    expect(warn('terraform TF_WORKSPACE **')).toEqual([expect.stringContaining('write "terraform ** --workspace=*"')]);
  });

  it('an aws-credential rule with capitals in the role ARN (IAM role names are case-insensitive)', () => {
    expect(warn('aws-credential arn:aws:iam::111122223333:role/Admin*')).toEqual([expect.stringContaining('write it in lower case ("arn:aws:iam::111122223333:role/admin*"), which matches every spelling')]);
  });

  it.each([
    'aws-credential arn:aws:iam::111122223333:role/*',
    'aws-credential arn:aws:iam::*:role/admin*',
    'kubectl ** --context=prod*',
    'kubectl delete ** --server=https://prod.example.com*',
    'kubectl ** --context=prod* --namespace=prod-*',
    'psql ** --host=*prod*',
    'psql ** *prod*',
    'kubectl delete ** *prod*',
    'aws ** --profile=prod',
    'deploy prod',
    'terraform ** --workspace=prod',
    'rm -rf **',
    'git push --force prod',
  ])('stays quiet for %s', (match) => {
    expect(warn(match)).toEqual([]);
  });
});
