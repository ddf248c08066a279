/**
 * The Kubernetes half of issue 22, pure parts: kubectl's argv as
 * cobra/pflag read it (the oracle suite checks the same readings against
 * the real kubectl), kube-credential's words for a server, kubectl's rules
 * borrowed by kube-credential (SPEC §14), and config check's notes.
 */
import { describe, expect, it } from 'vitest';
import { readKubectlArgs } from '../../src/policy/implied/kubectl-argv.ts';
import { impliedWords, describeImplied, type ImpliedReader } from '../../src/policy/implied/implied-words.ts';
import { parseKubeconfig } from '../../src/policy/implied/parse-kubeconfig.ts';
import { kubeWarnings } from '../../src/policy/kube-warnings.ts';
import { ruleCoversCredential } from '../../src/policy/kube-route.ts';
import { compilePattern, type ImpliedFlag } from '../../src/policy/matcher.ts';
import { matchRules } from '../../src/policy/resolve.ts';
import type { Config, Profile, Rule } from '../../src/policy/types.ts';

describe('kubectl argv as cobra and pflag read it', () => {
  it.each([
    ['kubectl get pods -wn prod', 'get', { namespace: 'prod' }],
    ['kubectl get pods -wRnprod', 'get', { namespace: 'prod' }],
    ['kubectl get pods -n=', 'get', { namespace: '=' }],
    ['kubectl get pods -n=prod', 'get', { namespace: 'prod' }],
    ['kubectl get pods -l -nprod', 'get', {}],
    ['kubectl --namespace prod get pods', 'get', { namespace: 'prod' }],
    ['kubectl get pods --namespace=a -n b', 'get', { namespace: 'b' }],
    ['kubectl get -n a -- pods -n b', 'get', { namespace: 'a' }],
    ['kubectl --context=prod-eu get pods', 'get', { context: 'prod-eu' }],
    ['kubectl -shttps://x get pods', 'get', { server: 'https://x' }],
    ['kubectl --all_namespaces=false get pods', 'get', {}],
    ['kubectl config set-context --current --cluster=prod-cluster', 'config set-context', {}],
    ['kubectl config view --minify --cluster=x', 'config view', { cluster: 'x' }],
    ['kubectl create cm x --from-literal=a=b -n prod', 'create configmap', { namespace: 'prod' }],
    ['kubectl -v --context=prod get pods', 'get', {}],
  ])('%s → %s %o', (line, command, flags) => {
    const read = readKubectlArgs(line.split(' '));
    expect(read.problem).toBeUndefined();
    expect(read.command).toBe(command);
    expect(read.flags).toEqual(flags);
  });

  it('-A reaches every namespace: the namespace is unknown, so every rule on one applies', async () => {
    expect(readKubectlArgs('kubectl get pods -nprod -A'.split(' ')).allNamespaces).toBe('true');
    expect(readKubectlArgs('kubectl get pods -A=false'.split(' ')).allNamespaces).toBe('false');
    const r = reader({ '/k': KUBECONFIG });
    expect((await impliedWords('kubectl get pods -n apps -A'.split(' '), new Set(['--namespace']), r)).map(describeImplied)).toEqual(['--namespace=? (--all-namespaces reaches every namespace; rules on --namespace apply)']);
    expect((await impliedWords('kubectl get pods -A=false -n apps'.split(' '), new Set(['--namespace']), r)).map(describeImplied)).toEqual(['--namespace=apps from argv']);
  });

  it.each([
    ['kubectl krew list', /"krew" is not a kubectl command/],
    ['kubectl get pods --no-such-flag', /unknown flag --no-such-flag/],
    ['kubectl get pods -Z', /unknown flag -Z/],
    ['kubectl get pods -n', /-n has no value/],
    ['kubectl get pods ---x', /flag syntax/],
  ])('%s: the target is unknown (%s)', (line, problem) => {
    expect(readKubectlArgs(line.split(' ')).problem).toMatch(problem);
  });
});

const KUBECONFIG = `apiVersion: v1
kind: Config
current-context: dev
clusters:
- { name: prod-cluster, cluster: { server: "HTTPS://Prod.Example.com:443/" } }
- { name: prod-copy, cluster: { server: "https://prod.example.com" } }
- { name: dev-cluster, cluster: { server: "https://dev.example.com" } }
contexts:
- { name: prod-eu, context: { cluster: prod-cluster } }
- { name: prod-admin, context: { cluster: prod-copy, namespace: kube-system } }
- { name: dev, context: { cluster: dev-cluster, namespace: apps } }
`;

function reader(files: Record<string, string>): ImpliedReader {
  return {
    env: { KUBECONFIG: '/k' },
    cwd: '/',
    home: '/home/u',
    readText: () => ({ missing: true }),
    readKubeconfig: async (path) => (files[path] === undefined ? { missing: true } : parseKubeconfig(files[path]!)),
  };
}

describe('kube-credential: the server and every context and cluster that reaches it', () => {
  const all = new Set(['--server', '--context', '--cluster']);
  it('maps a server in any spelling to each context and cluster on it', async () => {
    const words = (await impliedWords(['kube-credential', 'https://PROD.example.com:443'], all, reader({ '/k': KUBECONFIG }))).map(describeImplied);
    expect(words).toEqual(['--server=https://prod.example.com from argv', '--cluster=prod-cluster from /k', '--cluster=prod-copy from /k', '--context=prod-eu from /k', '--context=prod-admin from /k']);
  });

  it('no server: unknown; an unreadable kubeconfig: contexts and clusters unknown', async () => {
    expect((await impliedWords(['kube-credential'], all, reader({}))).map(describeImplied)).toEqual([expect.stringMatching(/^--server=\? \(the Kubernetes client did not say its server/)]);
    const broken = (await impliedWords(['kube-credential', 'https://x'], all, reader({ '/k': 'a: [' }))).map(describeImplied);
    expect(broken[1]).toMatch(/^--context=\? \(cannot read \/k \(not valid YAML/);
  });
});

const rule = (name: string, match: string, tier = 'privileged'): Rule => ({ name, match, tier, origin: { layer: 'user', file: 'config.yaml', line: 1, col: 1 } }) as Rule;

describe('kubectl rules borrowed by kube-credential (SPEC §14)', () => {
  const implied: ImpliedFlag[] = [
    { name: '--server', value: 'https://prod.example.com', caseless: true },
    { name: '--context', value: 'prod-eu' },
    { name: '--cluster', value: 'prod-cluster' },
  ];
  const covers = (match: string, words: readonly ImpliedFlag[] = implied, argv = ['kube-credential', 'https://prod.example.com']) => ruleCoversCredential(compilePattern(match), argv, words);

  it.each([
    ['kubectl ** --context=prod*', true],
    ['kubectl ** --cluster=prod-cluster', true],
    ['kubectl ** --server=https://PROD.example.com', true],
    ['kubectl ** -s=https://prod.example.com*', true],
    ['kubectl ** --context=prod* --cluster=prod-cluster', true],
    // Verbs and namespaces cannot be known from a credential request: they count as matching (fail closed).
    ['kubectl delete ** --context=prod*', true],
    ['kubectl ** --context=prod* --namespace=payments', true],
    ['kubectl ** --context=staging*', false],
    ['kubectl ** --context=prod* --cluster=dev-cluster', false],
    // No target word: a rule about something else (a verb, a namespace) is not about a cluster.
    ['kubectl ** --namespace=prod*', false],
    ['kubectl delete **', false],
    ['psql ** --host=prod*', false],
  ])('%s → %s', (match, expected) => {
    expect(covers(match)).toBe(expected);
  });

  it('a server said without a scheme is the http server kubectl requests (kubectl -s prod.example.com → GET http://prod.example.com/api)', () => {
    for (const server of ['prod.example.com', 'PROD.example.com.:80', 'prod.example.com/', 'prod.example.com:080']) {
      expect(covers('kubectl ** --server=http://prod.example.com', [], ['kube-credential', server])).toBe(true);
      expect(covers('kubectl ** --server=https://prod.example.com*', [], ['kube-credential', server])).toBe(false);
    }
    expect(covers('kubectl ** --server=http://10.0.0.1:6443', [], ['kube-credential', '10.0.0.1:6443'])).toBe(true);
  });

  it('a call that does not say its server takes every rule on kubectl or kube-credential', () => {
    const unknown = [{ name: '--server', value: undefined }];
    for (const match of ['kubectl delete **', 'kubectl ** --namespace=prod*', 'kube-credential https://prod*']) expect(covers(match, unknown, ['kube-credential'])).toBe(true);
    expect(covers('psql **', unknown, ['kube-credential'])).toBe(false);
  });

  it('matchRules: the kube-credential invocation gets the kubectl rules on its cluster, a named command does not', () => {
    const config = { rules: [rule('prod', 'kubectl ** --context=prod*'), rule('ns', 'kubectl ** --namespace=prod*')] } as unknown as Config;
    const argv = ['kube-credential', 'https://prod.example.com'];
    expect(matchRules(config, { invoked: argv, argv, implied }).map((r) => r.name)).toEqual(['prod']);
    expect(matchRules(config, { invoked: ['kube-credential'], argv: ['kube-credential'], implied: [{ name: '--server', value: undefined }] }).map((r) => r.name)).toEqual(['prod', 'ns']);
    expect(matchRules(config, { invoked: argv, argv, implied: [{ name: '--server', value: 'https://dev.example.com', caseless: true }] })).toEqual([]);
  });
});

describe('config check notes on kube rules and profiles', () => {
  const profile = (extra: Partial<Profile>) => ({ name: 'work', issuer: 'https://idp', client_id: 'c', scopes: ['openid'], store: 'secret-service', resources: [], ...extra }) as Profile;
  it('says a kubectl rule on a cluster decides every credential for it, verbs and namespace included', () => {
    const [note] = kubeWarnings([rule('r', 'kubectl delete ** --context=prod* --namespace=pay')], []);
    expect(note).toContain('config.yaml:1:1: warning: rule "r": also decides guard kube-credential');
    expect(note).toContain('"delete", "--namespace=pay" count as matching there');
    expect(kubeWarnings([rule('r', 'kubectl ** --context=prod*')], [])).toEqual([]);
  });

  it('warns about a kube-credential server word that can never match a normalised URL', () => {
    expect(kubeWarnings([rule('r', 'kube-credential prod.example.com*')], [])).toEqual([expect.stringContaining('"prod.example.com*" can never match: kube-credential\'s server is a URL in normalised form (https://host[:port]); write "https://prod.example.com*"')]);
    for (const fine of ['kube-credential https://Prod.example.com:443*', 'kube-credential *prod*', 'kube-credential']) expect(kubeWarnings([rule('r', fine)], [])).toEqual([]);
  });

  it('a kube_resource profile needs its clusters as resources, in normalised form', () => {
    expect(kubeWarnings([], [profile({ kube_resource: true })])).toEqual([expect.stringContaining('kube_resource: true needs each cluster\'s server in resources')]);
    expect(kubeWarnings([], [profile({ kube_resource: true, resources: ['https://Prod.example.com:443/', 'https://dev.example.com'] })])).toEqual([
      'profile "work": resource "https://Prod.example.com:443/" is not in normalised form; kube-credential asks for "https://prod.example.com", so write that (and the API server\'s audience the same)',
    ]);
  });
});
