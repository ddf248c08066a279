import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { describeImplied, impliedWords, typedFlag, type ImpliedReader, type TextRead } from '../../src/policy/implied/implied-words.ts';
import { kubeconfigPaths, kubeFactsOf, mergeKubeconfigs, type KubeRead } from '../../src/policy/implied/kubeconfig.ts';
import { parseKubeconfig } from '../../src/policy/implied/parse-kubeconfig.ts';
import { systemImpliedReader } from '../../src/policy/implied/read-implied.ts';

const kubeconfig = (current: string | undefined, contexts: Record<string, string | undefined>) =>
  [
    'apiVersion: v1',
    'kind: Config',
    ...(current ? [`current-context: ${current}`] : []),
    'contexts:',
    ...Object.entries(contexts).flatMap(([name, ns]) => [`- name: ${name}`, '  context:', `    cluster: c-${name}`, ...(ns ? [`    namespace: ${ns}`] : [])]),
  ].join('\n');

/** A reader over an in-memory file table; absent paths are missing, `{problem}` entries unreadable. */
function reader(files: Record<string, string | { problem: string }>, env: Record<string, string | undefined> = {}, cwd = '/work'): ImpliedReader & { reads: string[] } {
  const reads: string[] = [];
  const text = (path: string): TextRead => {
    reads.push(path);
    const file = files[path];
    if (file === undefined) return { missing: true };
    return typeof file === 'string' ? { text: file } : file;
  };
  return {
    // HOME as a shell sets it; `home` is the account's (passwd) home, which client-go never reads.
    env: { HOME: '/home/u', ...env },
    cwd,
    home: '/home/u',
    reads,
    readText: text,
    readKubeconfig: async (path): Promise<KubeRead> => {
      const read = text(path);
      return 'text' in read ? parseKubeconfig(read.text) : read;
    },
  };
}

const KUBE = new Set(['--context', '--namespace']);
const words = async (argv: string, r: ImpliedReader, needed = KUBE) => (await impliedWords(argv.split(' '), needed, r)).map(describeImplied);

describe('kubeconfig merging (client-go rules)', () => {
  it('reads $KUBECONFIG split on ":" without empty entries or repeats, else ~/.kube/config', () => {
    expect(kubeconfigPaths({ KUBECONFIG: '/a::/b:/a' }, '/home/u')).toEqual(['/a', '/b']);
    expect(kubeconfigPaths({ KUBECONFIG: '' }, '/home/u')).toEqual(['/home/u/.kube/config']);
    expect(kubeconfigPaths({}, '/home/u')).toEqual(['/home/u/.kube/config']);
  });

  it('the first file that sets current-context wins; the first definition of a context or cluster wins; missing files are skipped', () => {
    const merged = mergeKubeconfigs([
      { path: '/missing', read: { missing: true } },
      { path: '/a', read: { facts: { contexts: { prod: { cluster: 'p', namespace: 'payments' } }, clusters: { p: 'https://a' } } } },
      { path: '/b', read: { facts: { currentContext: 'prod', contexts: { prod: { cluster: 'q', namespace: 'other' }, dev: { cluster: 'd', namespace: '' } }, clusters: { p: 'https://b', d: 'https://d' } } } },
      { path: '/c', read: { facts: { currentContext: 'dev', contexts: {}, clusters: {} } } },
    ]);
    expect(merged.currentContext).toEqual({ name: 'prod', path: '/b' });
    expect(merged.contexts.get('prod')).toEqual({ cluster: 'p', namespace: 'payments', path: '/a' });
    expect(merged.clusters.get('p')).toEqual({ server: 'https://a', path: '/a' });
    expect(merged.clusters.get('d')).toEqual({ server: 'https://d', path: '/b' });
    expect(merged.problem).toBeUndefined();
  });

  it('an unreadable file makes the result unknown', () => {
    expect(mergeKubeconfigs([{ path: '/a', read: { facts: { currentContext: 'dev', contexts: {}, clusters: {} } } }, { path: '/b', read: { problem: 'EACCES' } }]).problem).toEqual({ path: '/b', reason: 'EACCES' });
  });

  it('extracts the facts from a parsed document, and refuses what kubectl refuses (a name twice in one file)', () => {
    expect(kubeFactsOf({ 'current-context': 'x', contexts: [{ name: 'x', context: { namespace: 'n', cluster: 'c' } }, { name: 'y' }], clusters: [{ name: 'c', cluster: { server: 'https://c' } }] })).toEqual({
      currentContext: 'x',
      contexts: { x: { cluster: 'c', namespace: 'n' }, y: { cluster: '', namespace: '' } },
      clusters: { c: 'https://c' },
    });
    expect(kubeFactsOf(null)).toEqual({ contexts: {}, clusters: {} });
    expect(kubeFactsOf(['list'])).toEqual(expect.stringContaining('not a kubeconfig'));
    expect(kubeFactsOf({ contexts: [{ name: 'x' }, { name: 'x' }] })).toEqual(expect.stringContaining('a name twice'));
    expect(parseKubeconfig('a: [')).toMatchObject({ problem: expect.stringContaining('not valid YAML') });
  });
});

describe('implied words with an injected environment (SPEC §2)', () => {
  const home = { '/home/u/.kube/config': kubeconfig('prod-eu', { 'prod-eu': 'payments', staging: undefined }) };

  it('kubectl: --context= the current context and --namespace= its namespace', async () => {
    expect(await words('kubectl delete pod x', reader(home))).toEqual(['--context=prod-eu from ~/.kube/config', '--namespace=payments from ~/.kube/config']);
  });

  it('reads nothing when no rule needs a word of this program', async () => {
    const r = reader(home);
    expect(await words('kubectl delete pod x', r, new Set())).toEqual([]);
    expect(await words('ls -l', r)).toEqual([]);
    expect(r.reads).toEqual([]);
  });

  it('applies YAML merge keys as client-go does (checked: kubectl config view --minify shows prod\'s server for dev)', async () => {
    const text = ['current-context: dev', 'clusters:', '- name: prod', '  cluster: &p', '    server: https://prod.example', '- name: dev', '  cluster:', '    <<: *p', 'contexts:', '- name: dev', '  context:', '    cluster: dev'].join('\n');
    expect(await words('kubectl get pods', reader({ '/home/u/.kube/config': text }), new Set(['--server']))).toEqual(['--server=https://prod.example from ~/.kube/config']);
  });

  it('a server without a scheme is the plain-http server kubectl 1.32 requests (typed, or in the kubeconfig)', async () => {
    const text = ['current-context: dev', 'clusters:', '- name: dev', '  cluster:', '    server: 10.0.0.1:6443', 'contexts:', '- name: dev', '  context:', '    cluster: dev'].join('\n');
    const server = new Set(['--server']);
    expect(await words('kubectl get pods', reader({ '/home/u/.kube/config': text }), server)).toEqual(['--server=http://10.0.0.1:6443 from ~/.kube/config']);
    expect(await words('kubectl -s PROD.example.com:443 get pods', reader({ '/home/u/.kube/config': text }), server)).toEqual(['--server=http://prod.example.com:443 from argv']);
  });

  it('merges several KUBECONFIG files as kubectl does', async () => {
    const r = reader({ '/k/a': kubeconfig(undefined, { 'prod-eu': 'from-a' }), '/k/b': kubeconfig('prod-eu', { 'prod-eu': 'from-b' }) }, { KUBECONFIG: '/k/missing:/k/a:/k/b' });
    expect(await words('kubectl get pods', r)).toEqual(['--context=prod-eu from /k/b', '--namespace=from-a from /k/a']);
  });

  it('v3: the target is returned typed or not, each word with its source; a typed --context picks that context\'s namespace', async () => {
    expect(await words('kubectl --context staging get pods', reader(home))).toEqual(['--context=staging from argv', '--namespace=default from kubectl default']);
    expect(await words('kubectl -n kube-system get pods', reader(home))).toEqual(['--context=prod-eu from ~/.kube/config', '--namespace=kube-system from argv']);
    expect(await words('kubectl --context=staging --namespace=x get pods', reader(home))).toEqual(['--context=staging from argv', '--namespace=x from argv']);
  });

  it('keeps the implied context when a typed --context may be the value of the flag before it, or comes after --', async () => {
    // kubectl reads `-c --context=staging` as the container "--context=staging": the current context applies.
    expect(await words('kubectl exec pod -c --context=staging', reader(home), new Set(['--context']))).toEqual(['--context=prod-eu from ~/.kube/config']);
    expect(await words('kubectl exec pod -- sh --context=staging', reader(home), new Set(['--context']))).toEqual(['--context=prod-eu from ~/.kube/config']);
  });

  it('--kubeconfig FILE is read instead of $KUBECONFIG', async () => {
    const r = reader({ ...home, '/work/other.yaml': kubeconfig('staging', {}) });
    expect(await words('kubectl --kubeconfig other.yaml get pods', r, new Set(['--context']))).toEqual(['--context=staging from /work/other.yaml']);
  });

  it('an unreadable kubeconfig gives unknown values (every rule on them applies)', async () => {
    const r = reader({ '/home/u/.kube/config': { problem: 'EACCES' } });
    expect(await words('kubectl get pods', r)).toEqual([
      '--context=? (cannot read ~/.kube/config (EACCES); rules on --context apply)',
      '--namespace=? (cannot read ~/.kube/config (EACCES); rules on --namespace apply)',
    ]);
    expect(await words('kubectl get pods', reader({ '/home/u/.kube/config': 'a: [' }), new Set(['--context']))).toEqual([expect.stringMatching(/^--context=\? \(cannot read ~\/\.kube\/config \(not valid YAML/)]);
    // kubectl's -v takes a value: `--kubeconfig=x` is that value, so the kubeconfig is ~/.kube/config (the oracle suite proves this reading).
    expect(await words('kubectl -v --kubeconfig=x get', reader(home), new Set(['--context']))).toEqual(['--context=prod-eu from ~/.kube/config']);
    expect(await words('kubectl get pods --no-such-flag', reader(home), new Set(['--context']))).toEqual(['--context=? (unknown flag --no-such-flag for kubectl get; rules on --context apply)']);
  });

  it('no kubeconfig at all: no context, the default namespace', async () => {
    expect(await words('kubectl get pods', reader({}))).toEqual(['--namespace=default from kubectl default']);
  });

  it('helm: --kube-context (and --context) from the kubeconfig, HELM_NAMESPACE for the namespace', async () => {
    const needed = new Set(['--kube-context', '--context', '--namespace']);
    expect(await words('helm upgrade app ./chart', reader(home, { HELM_NAMESPACE: 'apps' }), needed)).toEqual([
      '--kube-context=prod-eu from ~/.kube/config',
      '--context=prod-eu from ~/.kube/config',
      '--namespace=apps from HELM_NAMESPACE',
    ]);
    expect(await words('helm --kube-context staging upgrade app', reader(home), new Set(['--context']))).toEqual(['--context=staging from argv']);
    expect(await words('helm upgrade app', reader(home, { HELM_KUBECONTEXT: 'staging' }), new Set(['--context']))).toEqual(['--context=staging from HELM_KUBECONTEXT']);
    // Without helm's flag table, a -n inside a cluster of short flags is unsure: rules on the namespace apply.
    expect(await words('helm upgrade -an prod app', reader(home), new Set(['--namespace']))).toEqual([expect.stringMatching(/^--namespace=\? \(argv may set --namespace/)]);
  });

  it('terraform: TF_WORKSPACE, else .terraform/environment (under -chdir and TF_DATA_DIR), else default', async () => {
    const needed = new Set(['--workspace']);
    expect(await words('terraform apply', reader({}, { TF_WORKSPACE: 'prod' }), needed)).toEqual(['--workspace=prod from TF_WORKSPACE']);
    expect(await words('terraform apply', reader({ '/work/.terraform/environment': 'prod\n' }), needed)).toEqual(['--workspace=prod from /work/.terraform/environment']);
    expect(await words('terraform -chdir=infra apply', reader({ '/work/infra/.terraform/environment': 'prod' }), needed)).toEqual(['--workspace=prod from /work/infra/.terraform/environment']);
    expect(await words('terraform apply', reader({ '/work/d/environment': 'prod' }, { TF_DATA_DIR: 'd' }), needed)).toEqual(['--workspace=prod from /work/d/environment']);
    expect(await words('terraform apply', reader({}), needed)).toEqual(['--workspace=default from terraform default']);
    expect(await words('terraform apply', reader({ '/work/.terraform/environment': { problem: 'EACCES' } }), needed)).toEqual([
      '--workspace=? (cannot read /work/.terraform/environment (EACCES); rules on --workspace apply)',
    ]);
  });

  it('typedFlag: the last sure value, and whether some occurrence is unsure', () => {
    expect(typedFlag(['kubectl', '--context=a', 'get', '--context', 'b'], ['--context'])).toEqual({ value: 'b', unsure: false });
    expect(typedFlag(['kubectl', '-v', '--context=a'], ['--context'])).toEqual({ unsure: true });
    expect(typedFlag(['kubectl', 'get', '--', '--context=a'], ['--context'])).toEqual({ unsure: false });
    expect(typedFlag(['kubectl', 'get', '--context'], ['--context'])).toEqual({ unsure: true });
    // kubectl --context= uses the current context.
    expect(typedFlag(['kubectl', '--context=', 'get'], ['--context'])).toEqual({ unsure: true });
  });
});

describe('HOME empty or unset: each tool finds its home its own way (checked with the real tools)', () => {
  // `home` (/home/u) is the account's passwd entry; HOME is what the environment says.
  const kube = kubeconfig('rel', { rel: undefined });
  const service = (host: string) => `[s]\nhost=${host}\n`;
  const cloud = (region: string) => `[default]\nregion = ${region}\n`;
  const files = {
    '/work/.kube/config': kube,
    '/h2/.kube/config': kubeconfig('h2', { h2: undefined }),
    '/home/u/.pg_service.conf': service('passwd-db'),
    '/h2/.pg_service.conf': service('h2-db'),
    '/.aws/config': cloud('slash-1'),
    '/h2/.aws/config': cloud('h2-1'),
    '/home/u/.aws/config': cloud('passwd-1'),
    '/.config/gcloud/configurations/config_default': '[core]\nproject = slash-proj\n',
    '/home/u/.config/gcloud/configurations/config_default': '[core]\nproject = passwd-proj\n',
  };
  const first = async (argv: string, env: Record<string, string | undefined>, flag: string) => (await impliedWords(argv.split(' '), new Set([flag]), reader(files, env)))[0]?.value;

  it.each([
    // client-go reads HOME as it is: empty or unset, .kube/config under the working directory (`HOME= kubectl config current-context`).
    ['kubectl get pods', { HOME: '' }, '--context', 'rel'],
    ['kubectl get pods', { HOME: undefined }, '--context', 'rel'],
    ['kubectl get pods', { HOME: '/h2' }, '--context', 'h2'],
    // libpq 15: HOME unless empty or unset, else the passwd entry's home.
    ['psql', { HOME: '', PGSERVICE: 's' }, '--host', 'passwd-db'],
    ['psql', { HOME: undefined, PGSERVICE: 's' }, '--host', 'passwd-db'],
    ['psql', { HOME: '/h2', PGSERVICE: 's' }, '--host', 'h2-db'],
    // Python's expanduser (aws, gcloud): HOME even when empty (~ is then /), the passwd entry only when unset.
    ['aws s3 ls', { HOME: '' }, '--region', 'slash-1'],
    ['aws s3 ls', { HOME: undefined }, '--region', 'passwd-1'],
    ['aws s3 ls', { HOME: '/h2/' }, '--region', 'h2-1'],
    ['gcloud run deploy', { HOME: '' }, '--project', 'slash-proj'],
    ['gcloud run deploy', { HOME: undefined }, '--project', 'passwd-proj'],
  ])('%s with %j: %s=%s', async (argv, env, flag, value) => {
    expect(await first(argv, env, flag)).toBe(value);
  });

  it('the system reader\'s home is the passwd entry\'s, whatever HOME says (os.homedir() would give HOME, even an empty one)', () => {
    const deps = (env: Record<string, string>) => ({ env, cwd: '/repo', paths: { stateDir: '/nonexistent' }, now: () => 0 }) as unknown as import('../../src/deps.ts').Deps;
    expect(systemImpliedReader(deps({ HOME: '' })).home).toBe(userInfo().homedir);
    expect(systemImpliedReader(deps({ HOME: '/elsewhere' })).home).toBe(userInfo().homedir);
  });
});

describe('env that a rule or named command injects counts for implied words (SPEC §2)', () => {
  it('a rule that sets PGHOST=prod-db for psql makes the prod rule apply', async () => {
    const { parseLayer } = await import('../../src/policy/parse-layer.ts');
    const { mergeLayers } = await import('../../src/policy/merge.ts');
    const { resolveWithImplied } = await import('../../src/policy/implied/read-implied.ts');
    const { describeLayer } = await import('../../src/policy/describe-layer.ts');
    const user = parseLayer(`version: 1
profiles:
  default: { issuer: "https://idp.example.com", client_id: guard-cli }
tiers:
  privileged: { idle: 15m }
  standard: { idle: 45m }
default_tier: standard
rules:
  - name: prod-db
    match: "psql ** --host=*prod*"
    tier: privileged
`, 'user.yaml', 'user').layer;
    const project = parseLayer(`version: 1
rules:
  - name: helper
    match: "psql **"
    tier: standard
    env: { PGHOST: prod-db.internal }
`, '/repo/.guard.yaml', 'project').layer;
    const { config } = mergeLayers([user, project]);
    const deps = { env: {}, cwd: '/repo', paths: { stateDir: '/nonexistent' }, now: () => 0 } as unknown as import('../../src/deps.ts').Deps;
    const { implied, resolution } = await resolveWithImplied(deps, config, { invoked: ['psql', '-c', 'select 1'], argv: ['psql', '-c', 'select 1'] }, {});
    expect(implied).toContainEqual(expect.objectContaining({ name: '--host', value: 'prod-db.internal' }));
    expect(resolution.rules.map((rule) => rule.name)).toEqual(['prod-db', 'helper']);
    expect(resolution.tier).toBe('privileged');
    expect(describeLayer(project).join('\n')).toContain('set          PGHOST=prod-db.internal for every command matching "psql **"');
  });
});

describe('one target whatever names reach it (SPEC §14): a server is its clusters and contexts', () => {
  const TWO_CLUSTERS = [
    'apiVersion: v1',
    'kind: Config',
    'current-context: dev',
    'clusters:',
    '- { name: dev-cluster, cluster: { server: "https://dev.example.com" } }',
    '- { name: prod-cluster, cluster: { server: "https://prod.example.com:443/" } }',
    '- { name: prod-alias, cluster: { server: "HTTPS://PROD.example.com" } }',
    'contexts:',
    '- { name: dev, context: { cluster: dev-cluster, user: u } }',
    '- { name: prod-eu, context: { cluster: prod-cluster, user: u } }',
    '- { name: prod-us, context: { cluster: prod-alias, user: u } }',
  ].join('\n');
  const names = new Set(['--context', '--cluster']);
  const r = () => reader({ '/home/u/.kube/config': TWO_CLUSTERS });

  it('kubectl -s at the prod server carries prod\'s cluster and context names too', async () => {
    expect(await words('kubectl -s https://PROD.example.com. get pods', r(), names)).toEqual([
      '--context=dev from ~/.kube/config',
      '--cluster=dev-cluster from ~/.kube/config',
      '--cluster=prod-cluster from ~/.kube/config (same server)',
      '--cluster=prod-alias from ~/.kube/config (same server)',
      '--context=prod-eu from ~/.kube/config (same server)',
      '--context=prod-us from ~/.kube/config (same server)',
    ]);
  });

  it('a context on another cluster with the same server is the same target', async () => {
    expect(await words('kubectl --context prod-us get pods', r(), names)).toEqual([
      '--context=prod-us from argv',
      '--cluster=prod-alias from ~/.kube/config',
      '--cluster=prod-cluster from ~/.kube/config (same server)',
      '--context=prod-eu from ~/.kube/config (same server)',
    ]);
  });

  it('nothing more for a server no other cluster has', async () => {
    expect(await words('kubectl get pods', r(), names)).toEqual(['--context=dev from ~/.kube/config', '--cluster=dev-cluster from ~/.kube/config']);
  });
});
