/**
 * SPEC §2 v3 and §14: an implied word counts exactly as if typed (the typed
 * words with the implied ones added after them, whatever the rule's form),
 * host values match case-insensitively, URLs are compared normalised, and a
 * value that could not be read matches every rule on it.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseLayer } from '../../src/policy/parse-layer.ts';
import { mergeLayers } from '../../src/policy/merge.ts';
import { matchRules } from '../../src/policy/resolve.ts';
import { neededImplied } from '../../src/policy/implied/read-implied.ts';
import type { ImpliedFlag } from '../../src/policy/matcher.ts';
import { normalizeKubeServer, normalizeUrl, normalizeUrlGlob } from '../../src/util/normalize-url.ts';

describe('normalizeUrl (SPEC §14)', () => {
  it.each([
    ['HTTPS://Prod.Example.COM:443/', 'https://prod.example.com'],
    ['https://prod.example.com.', 'https://prod.example.com'],
    ['https://prod.example.com.:443', 'https://prod.example.com'],
    ['http://127.0.0.1:80', 'http://127.0.0.1'],
    ['https://127.0.0.1:6443', 'https://127.0.0.1:6443'],
    ['http://host:443', 'http://host:443'],
    ['https://host:80', 'https://host:80'],
    ['https://GIT.example.com/Prod/App.git', 'https://git.example.com/Prod/App.git'],
    // kubectl requests `/api` for `//`; git's server resolves `//` as `/` (was kept as written).
    ['https://git.example.com//', 'https://git.example.com'],
    ['https://alice:secret@Prod.example.com/x', 'https://prod.example.com/x'],
    ['https://[::1]:443', 'https://[::1]'],
    ['https://[FE80::1]:6443/', 'https://[fe80::1]:6443'],
    // kubectl sends `-s https://host?x=1` and `https://host#x` to `https://host/api` (the query was kept).
    ['https://host?x=1', 'https://host'],
    ['https://host#x', 'https://host'],
    ['https://host/?x=1#y', 'https://host'],
    ['https://host/x?y/../z', 'https://host/x'],
    ['https://host:6443/a?b#c', 'https://host:6443/a'],
    // git hands a helper `path=acme/prod.git?x=1`; curl requests `/acme/prod.git?x=1/info/refs…`.
    ['https://github.com/acme/prod.git?x=1', 'https://github.com/acme/prod.git'],
    ['https://github.com/acme/prod.git#frag', 'https://github.com/acme/prod.git'],
    // A port is a decimal number: kubectl dials 18766 for `:018766`, curl 443 for `:0443`.
    ['https://prod.example.com:0443', 'https://prod.example.com'],
    ['https://prod.example.com:000443/', 'https://prod.example.com'],
    ['http://127.0.0.1:080', 'http://127.0.0.1'],
    ['https://127.0.0.1:018766', 'https://127.0.0.1:18766'],
    ['https://prod.example.com:00', 'https://prod.example.com:0'],
    // Paths as the servers read them: unreserved escapes decoded, dot segments removed, `//` collapsed, trailing `/` dropped.
    ['https://github.com/acme/x/%2e%2e/prod.git', 'https://github.com/acme/prod.git'],
    ['https://github.com/acme/x/../prod.git', 'https://github.com/acme/prod.git'],
    ['https://github.com/acme//prod.git', 'https://github.com/acme/prod.git'],
    ['https://github.com/acme/./prod.git/', 'https://github.com/acme/prod.git'],
    ['https://github.com/acme/%70rod.git', 'https://github.com/acme/prod.git'],
    ['https://github.com/acme/%2E%2E/%2E/prod.git', 'https://github.com/prod.git'],
    ['https://github.com/../../acme/prod.git', 'https://github.com/acme/prod.git'],
    ['https://github.com/acme/prod.git/x/..', 'https://github.com/acme/prod.git'],
    ['https://github.com/acme%2fprod.git', 'https://github.com/acme%2Fprod.git'],
    ['https://github.com/a%7e/%41', 'https://github.com/a~/A'],
    ['https://prod.example.com/x//', 'https://prod.example.com/x'],
    ['https://prod.example.com/a//b', 'https://prod.example.com/a/b'],
  ])('%s → %s', (url, expected) => {
    expect(normalizeUrl(url)).toBe(expected);
  });

  it('is not a URL without scheme://', () => {
    expect(normalizeUrl('prod.example.com:443')).toBeUndefined();
    expect(normalizeUrl('/path')).toBeUndefined();
  });

  it('keeps the globs of a rule word and normalises the URL before them', () => {
    expect(normalizeUrlGlob('HTTPS://127.0.0.1:33829*')).toBe('https://127.0.0.1:33829*');
    expect(normalizeUrlGlob('https://prod.example.com:443*')).toBe('https://prod.example.com*');
    expect(normalizeUrlGlob('https://prod.example.com/*')).toBe('https://prod.example.com*');
    expect(normalizeUrlGlob('https://*.PROD.example.com*')).toBe('https://*.prod.example.com*');
    expect(normalizeUrlGlob('*prod*')).toBe('*prod*');
    expect(normalizeUrlGlob('https://prod.example.com:0443*')).toBe('https://prod.example.com*');
    expect(normalizeUrlGlob('https://github.com/acme/x/%2e%2e/prod*')).toBe('https://github.com/acme/prod*');
    expect(normalizeUrlGlob('https://github.com//acme//*')).toBe('https://github.com/acme/*');
    // `?` is no glob and no query in a rule word: kept literal, never cut to a shorter (other) rule.
    expect(normalizeUrlGlob('https://prod-?.example.com*')).toBe('https://prod-?.example.com*');
    expect(normalizeUrlGlob('https://Prod.example.com:0443/x/?a=1*')).toBe('https://prod.example.com/x/?a=1*');
  });

  it('a kube server written without a scheme is http, as kubectl requests it', () => {
    expect(normalizeKubeServer('prod.example.com')).toBe('http://prod.example.com');
    expect(normalizeKubeServer('Prod.example.com:443/')).toBe('http://prod.example.com:443');
    expect(normalizeKubeServer('10.0.0.1:06443')).toBe('http://10.0.0.1:6443');
    expect(normalizeKubeServer('HTTPS://prod.example.com:443#x')).toBe('https://prod.example.com');
  });

  it('is idempotent (property)', () => {
    const label = fc.stringMatching(/^[A-Za-z0-9-]{1,8}$/);
    const url = fc.tuple(fc.constantFrom('http', 'https', 'HTTPS', 'Http'), fc.array(label, { minLength: 1, maxLength: 4 }), fc.constantFrom('', ':80', ':443', ':6443', ':0443', ':06443'), fc.constantFrom('', '/', '/a', '/A/b.git', '//a/./b/../c/', '/%2e%2e/%41', '/a?x=1', '#f'), fc.boolean())
      .map(([scheme, labels, port, path, dot]) => `${scheme}://${labels.join('.')}${dot ? '.' : ''}${port}${path}`);
    fc.assert(
      fc.property(url, (text) => {
        const once = normalizeUrl(text)!;
        expect(normalizeUrl(once)).toBe(once);
        expect(once).toBe(once.replace(/^[^:]+:\/\/[^/]*/, (head) => head.toLowerCase()));
      }),
    );
  });
});

const config = (rules: Array<[string, string]>) => {
  const yaml = `version: 1
profiles:
  default: { issuer: "https://idp.example.com", client_id: guard-cli }
tiers:
  privileged: { idle: 15m }
  standard: { idle: 45m }
default_tier: standard
rules:
${rules.map(([name, match]) => `  - { name: ${name}, match: ${JSON.stringify(match)}, tier: privileged }`).join('\n')}
`;
  const merged = mergeLayers([parseLayer(yaml, 'c.yaml', 'user').layer]);
  expect(merged.issues).toEqual([]);
  return merged.config;
};

const matched = (rules: Array<[string, string]>, argv: string[], implied: ImpliedFlag[] = []) =>
  matchRules(config(rules), { invoked: argv, argv, implied }).map((rule) => rule.name);

describe('implied words count exactly as if typed (SPEC §2 v3)', () => {
  it('a plain glob rule matches the typed words with the implied word added', () => {
    const rules: Array<[string, string]> = [['prod', 'psql *prod*']];
    expect(matched(rules, ['psql', '--host=prod-db'])).toEqual(['prod']);
    expect(matched(rules, ['psql'], [{ name: '--host', value: 'prod-db' }])).toEqual(['prod']);
    expect(matched(rules, ['psql'], [{ name: '--host', value: 'dev-db' }])).toEqual([]);
    expect(matched(rules, ['psql'])).toEqual([]);
  });

  it('an unrelated implied word beside the one a rule names does not hide it', () => {
    const rules: Array<[string, string]> = [['prod', 'psql *prod*']];
    expect(matched(rules, ['psql'], [{ name: '--host', value: 'prod-db' }, { name: '--port', value: '5433' }])).toEqual(['prod']);
  });

  it('a value that could not be read matches every rule that could name it, plain globs included', () => {
    const unknown: ImpliedFlag[] = [{ name: '--host', value: undefined }];
    expect(matched([['prod', 'psql *prod*']], ['psql'], unknown)).toEqual(['prod']);
    expect(matched([['prod', 'psql ** --host=*prod*']], ['psql'], unknown)).toEqual(['prod']);
    expect(matched([['h', 'psql --h*']], ['psql'], unknown)).toEqual(['h']);
    // A literal word cannot be an implied `--flag=value` word.
    expect(matched([['lit', 'psql prod']], ['psql'], unknown)).toEqual([]);
    expect(matched([['other', 'psql --dbname=*']], ['psql'], unknown)).toEqual([]);
  });

  it('host values match case-insensitively; other values do not', () => {
    const host: ImpliedFlag[] = [{ name: '--host', value: 'PROD-db', caseless: true }];
    expect(matched([['flag', 'psql ** --host=*prod*']], ['psql'], host)).toEqual(['flag']);
    expect(matched([['glob', 'psql *prod*']], ['psql'], host)).toEqual(['glob']);
    expect(matched([['upper', 'psql ** --host=*PROD*']], ['psql'], [{ name: '--host', value: 'prod-db', caseless: true }])).toEqual(['upper']);
    expect(matched([['ctx', 'kubectl ** --context=prod*']], ['kubectl'], [{ name: '--context', value: 'PROD-eu' }])).toEqual([]);
  });

  it('URLs in rules are compared normalised, as the targets are', () => {
    const rules: Array<[string, string]> = [['api', 'kube-credential https://127.0.0.1:33829*'], ['git', 'git-credential HTTPS://GIT.example.com:443/prod/*']];
    expect(matched(rules, ['kube-credential', 'https://127.0.0.1:33829'])).toEqual(['api']);
    expect(matched(rules, ['git-credential', 'https://git.example.com/prod/app.git'])).toEqual(['git']);
    expect(matched(rules, ['git-credential', 'https://git.example.com/Prod/app.git'])).toEqual([]);
    expect(matched([['srv', 'kubectl ** --server=HTTPS://Prod.example.com:443']], ['kubectl'], [{ name: '--server', value: 'https://prod.example.com', caseless: true }])).toEqual(['srv']);
  });
});

describe('another spelling of the same target is the same target (SPEC §14)', () => {
  it('a git URL rule applies to every path git sends for the same repository', () => {
    const rules: Array<[string, string]> = [['prod', 'git-credential https://github.com/acme/prod*']];
    // git sends `path=acme/x/../prod.git` for `…/acme/x/%2e%2e/prod.git` and `acme//prod.git` as written.
    for (const url of ['https://github.com/acme/x/../prod.git', 'https://github.com/acme//prod.git', 'https://github.com/acme/./prod.git', 'https://github.com:0443/acme/prod.git', 'https://github.com/acme/prod.git#x']) {
      expect(matched(rules, ['git-credential', normalizeUrl(url)!])).toEqual(['prod']);
    }
    expect(matched([['dots', 'git-credential https://github.com/acme/x/%2e%2e/prod*']], ['git-credential', normalizeUrl('https://github.com/acme/prod.git')!])).toEqual(['dots']);
    expect(matched(rules, ['git-credential', normalizeUrl('https://github.com/acme/prod/../other.git')!])).toEqual([]);
  });

  it('a kube server rule applies to every spelling kubectl sends to the same /api', () => {
    const rule: Array<[string, string]> = [['srv', 'kubectl ** --server=https://prod.example.com']];
    for (const server of ['https://prod.example.com:0443', 'https://prod.example.com#x', 'https://prod.example.com?x=1', 'https://prod.example.com//', 'https://prod.example.com/x/..']) {
      expect(matched(rule, ['kubectl'], [{ name: '--server', value: normalizeUrl(server)!, caseless: true }])).toEqual(['srv']);
    }
    expect(matched([['port', 'kubectl ** --server=https://prod.example.com:018766']], ['kubectl'], [{ name: '--server', value: normalizeUrl('https://prod.example.com:18766')!, caseless: true }])).toEqual(['port']);
  });

  it('a kube server rule applies to every path spelling kubectl sends to the same /api', () => {
    for (const server of ['https://prod.example.com//', 'https://prod.example.com/x/..', 'https://prod.example.com/.']) {
      expect(matched([['srv', 'kubectl ** --server=https://prod.example.com']], ['kubectl'], [{ name: '--server', value: normalizeUrl(server)!, caseless: true }])).toEqual(['srv']);
    }
  });

  it('a server rule applies whatever query or fragment the server URL carries (kubectl requests the same /api)', () => {
    for (const server of ['https://prod.example.com#x', 'https://prod.example.com?x=1', 'https://prod.example.com/?x=1#y']) {
      expect(matched([['srv', 'kubectl ** --server=https://prod.example.com']], ['kubectl'], [{ name: '--server', value: normalizeUrl(server)!, caseless: true }])).toEqual(['srv']);
    }
    expect(matched([['git', 'git-credential https://github.com/acme/prod.git']], ['git-credential', normalizeUrl('https://github.com/acme/prod.git#x')!])).toEqual(['git']);
  });

  it('a server rule applies to every spelling of its port', () => {
    expect(matched([['srv', 'kubectl ** --server=https://prod.example.com']], ['kubectl'], [{ name: '--server', value: normalizeUrl('https://prod.example.com:0443')!, caseless: true }])).toEqual(['srv']);
    expect(matched([['port', 'kubectl ** --server=https://prod.example.com:018766']], ['kubectl'], [{ name: '--server', value: normalizeUrl('https://prod.example.com:18766')!, caseless: true }])).toEqual(['port']);
    expect(matched([['git', 'git-credential https://github.com/acme/prod*']], ['git-credential', normalizeUrl('https://github.com:0443/acme/prod.git')!])).toEqual(['git']);
  });

  it('a host rule applies to every spelling of the host libpq connects to (psql -h 10.0.5 → "10.0.5" (10.0.0.5))', () => {
    const host = (value: string): ImpliedFlag[] => [{ name: '--host', value, caseless: true }];
    const rules: Array<[string, string]> = [['ip', 'psql ** --host=10.0.0.5']];
    for (const spelling of ['10.0.5', '167772165', '012.0.0.05', '0xa.0.0.5', '0x0A000005', '10.0.0.5.']) expect(matched(rules, ['psql', '-h', spelling], host(spelling))).toEqual(['ip']);
    expect(matched(rules, ['psql'], host('10.0.0.50'))).toEqual([]);
    expect(matched([['spelled', 'psql ** --host=167772165']], ['psql'], host('10.0.0.5'))).toEqual(['spelled']);
    expect(matched([['name', 'psql ** --host=prod-db.example.com.']], ['psql'], host('prod-db.example.com'))).toEqual(['name']);
    expect(matched([['name', 'psql ** --host=prod-db.example.com']], ['psql'], host('Prod-DB.example.com.'))).toEqual(['name']);
    expect(matched([['glob', 'psql ** --host=*.example.com.']], ['psql'], host('prod-db.example.com'))).toEqual(['glob']);
    // A plain glob rule sees the implied word with its host normalised too.
    expect(matched([['plain', 'psql *=10.0.0.5']], ['psql'], host('10.0.5'))).toEqual(['plain']);
    expect(matched([['plain', 'psql *prod-db.example.com']], ['psql'], host('prod-db.example.com.'))).toEqual(['plain']);
    // Values that are not hosts compare as written.
    expect(matched([['db', 'psql ** --dbname=10.0.0.5']], ['psql'], [{ name: '--dbname', value: '10.0.5' }])).toEqual([]);
  });
});

describe('which implied words are read', () => {
  const names = (patterns: string[], argv: string[]) => [...neededImplied(patterns.map((match, i) => ({ name: `r${i}`, match })) as never, argv)].sort();

  it('only the flags rules for this program name, unless a plain glob could match an implied word', () => {
    expect(names(['psql ** --host=*prod*'], ['psql'])).toEqual(['--host']);
    expect(names(['psql *prod*'], ['psql'])).toEqual(['--dbname', '--host', '--port', '--service', '--username']);
    expect(names(['** *prod*'], ['psql'])).toEqual(['--dbname', '--host', '--port', '--service', '--username']);
    // A rule for another program asks nothing of psql.
    expect(names(['terraform *prod*', 'kubectl ** --context=prod*'], ['psql'])).toEqual([]);
    expect(names(['psql prod'], ['psql'])).toEqual([]);
  });
});
