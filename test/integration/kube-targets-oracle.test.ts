/**
 * The real kubectl is the oracle for guard's kubectl resolver (SPEC §14,
 * STYLE rule 13): for generated argv × KUBECONFIG lists × kubeconfig
 * contents, the server and namespace guard resolves are the ones kubectl
 * requests (`kubectl … -v=6` against two local API stand-ins prints each
 * request's URL), and the context guard resolves is the one whose user's
 * token kubectl sent (the stand-in names the listed pod after the token).
 * Where guard says a value is unknown, kubectl must have refused to reach
 * any server. Cases come from fast-check; the seed is printed, and
 * FC_SEED=… replays a run. A mismatch a generator found becomes a row of
 * the regression table at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestCa } from '../support/https-server.ts';
// @ts-expect-error: plain ESM helper shared with the benchmark
import { startKubeApi } from '../../scripts/lib/kube-api.mjs';
import { impliedWords, type ImpliedReader, type ImpliedWord, type TextRead } from '../../src/policy/implied/implied-words.ts';
import { parseKubeconfig } from '../../src/policy/implied/parse-kubeconfig.ts';
import { normalizeUrl } from '../../src/util/normalize-url.ts';

interface KubeApi {
  url: string;
  close(): Promise<void>;
}

const CASES = Number(process.env.ORACLE_CASES ?? 520);
const PARALLEL = 4;
const NEEDED = new Set(['--context', '--cluster', '--server', '--namespace']);
let apis: KubeApi[] = [];
let root: string;
let cacheDir: string;

beforeAll(async () => {
  const ca = createTestCa();
  apis = [await startKubeApi({ cert: ca.cert, key: ca.key, echoToken: true }), await startKubeApi({ cert: ca.cert, key: ca.key, echoToken: true })];
  root = mkdtempSync(join(tmpdir(), 'guard-kube-oracle-'));
  cacheDir = join(root, 'cache');
});
afterAll(async () => {
  for (const api of apis) await api.close();
  rmSync(root, { recursive: true, force: true });
});

// ---- the generated world -------------------------------------------------

const CONTEXTS = ['dev', 'prod', 'prod-eu'];
const CLUSTERS = ['c-dev', 'c-prod', 'c-x'];
const NAMESPACES = ['', 'team-a', 'prod'];

/** A server: which stand-in, in which spelling (upper-case scheme or host, trailing dot or slash). */
type Server = { api: number; spelling: number };
const spell = (server: Server) => {
  const port = new URL(apis[server.api]!.url).port;
  // (A trailing dot, `localhost.`, would send kubectl to DNS: normalize-url tests cover it.)
  return [`https://127.0.0.1:${port}`, `HTTPS://127.0.0.1:${port}/`, `https://LOCALHOST:${port}`, `https://localhost:${port}/`][server.spelling]!;
};
const serverArb = fc.record({ api: fc.integer({ min: 0, max: 1 }), spelling: fc.integer({ min: 0, max: 3 }) });

interface FileSpec {
  current?: string;
  contexts: Array<{ name: string; cluster: string; namespace: string }>;
  clusters: Array<{ name: string; server: Server | null }>;
}

const fileArb: fc.Arbitrary<FileSpec> = fc
  .record({
    contexts: fc.uniqueArray(fc.record({ name: fc.constantFrom(...CONTEXTS), cluster: fc.constantFrom(...CLUSTERS), namespace: fc.constantFrom(...NAMESPACES) }), { selector: (c) => c.name, minLength: 1, maxLength: 3 }),
    clusters: fc.uniqueArray(fc.record({ name: fc.constantFrom(...CLUSTERS), server: fc.option(serverArb, { freq: 12 }) }), { selector: (c) => c.name, minLength: 2, maxLength: 3 }),
  })
  .chain((file) =>
    // Mostly a context of this file; sometimes none, or one that no file defines.
    fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...file.contexts.map((c) => c.name)) }, { weight: 1, arbitrary: fc.constantFrom(undefined, 'ghost') }).map((current) => ({ ...file, ...(current ? { current } : {}) })),
  );

/** One flag as typed, in one of the spellings pflag accepts; `global`: its words also mean this to other commands. */
type Flag = { words: string[] };
const valueFlag = (long: string, short: string | undefined, value: string): fc.Arbitrary<Flag> =>
  fc.constantFrom<string[]>(
    [`--${long}=${value}`],
    [`--${long}`, value],
    ...(short ? [[`-${short}`, value], [`-${short}${value}`], [`-${short}=${value}`]] : []),
  ).map((words) => ({ words }));

const flagArb: fc.Arbitrary<Flag> = fc.oneof(
  fc.constantFrom(...CONTEXTS, ...CONTEXTS, ...CONTEXTS, 'ghost', '').chain((v) => valueFlag('context', undefined, v)),
  fc.constantFrom(...CLUSTERS, ...CLUSTERS, ...CLUSTERS, 'ghost').chain((v) => valueFlag('cluster', undefined, v)),
  serverArb.chain((server) => valueFlag('server', 's', spell(server))),
  fc.constantFrom('team-a', 'prod', 'kube-system').chain((v) => valueFlag('namespace', 'n', v)),
  // get's own flags: a cluster of booleans ending in -n, value flags whose values look like flags.
  fc.constantFrom('team-a', 'prod').chain((v) => fc.constantFrom<string[]>([`-wn`, v], [`-Rn`, v], [`-wRn${v}`], ['-o', 'name'], ['-l', '-nprod'], ['--chunk-size', '5'], ['--all_namespaces=false'], ['-A'], ['-A=false'])).map((words) => ({ words })),
);

interface Case {
  files: FileSpec[];
  /** How the files are named to kubectl: KUBECONFIG (an order, with a missing file), ~/.kube/config, or --kubeconfig. */
  mode: { kind: 'env'; order: number[]; missing: boolean } | { kind: 'home' } | { kind: 'flag'; file: number; spelling: number };
  before: Flag[];
  middle: Flag[];
  after: Flag[];
  /** `--` before `pods`, and flag-looking words after it that kubectl reads as resource names (so it refuses them). */
  dashed: string[] | undefined;
}

const caseArb: fc.Arbitrary<Case> = fc.array(fileArb, { minLength: 1, maxLength: 3 }).chain((files) =>
  fc.record({
    files: fc.constant(files),
    mode: fc.oneof(
      fc.record({ kind: fc.constant('env' as const), order: fc.shuffledSubarray(files.map((_, i) => i), { minLength: 1 }), missing: fc.boolean() }),
      fc.constant({ kind: 'home' as const }),
      fc.record({ kind: fc.constant('flag' as const), file: fc.integer({ min: 0, max: files.length - 1 }), spelling: fc.integer({ min: 0, max: 1 }) }),
    ),
    // get's own flags only after `get` (before it, cobra reads an unknown -X as taking the next word).
    before: fc.array(flagArb.filter((f) => !/^-[wRA]/.test(f.words[0]!) && !['-o', '-l', '--chunk-size', '--all_namespaces=false'].includes(f.words[0]!)), { maxLength: 2 }),
    middle: fc.array(flagArb, { maxLength: 2 }),
    after: fc.array(flagArb, { maxLength: 2 }),
    dashed: fc.option(fc.oneof({ weight: 4, arbitrary: fc.constant<string[]>([]) }, { weight: 1, arbitrary: fc.constantFrom<string[]>(['-n', 'kube-system'], ['--context=prod'], ['-s', 'https://127.0.0.1:1']) }), { freq: 6 }),
  }),
);

// ---- writing a case to disk and asking kubectl -----------------------------

function kubeconfigText(spec: FileSpec, index: number): string {
  const lines = ['apiVersion: v1', 'kind: Config', ...(spec.current ? [`current-context: ${spec.current}`] : [])];
  lines.push('clusters:');
  for (const c of spec.clusters) lines.push(`- name: ${c.name}`, '  cluster:', '    insecure-skip-tls-verify: true', ...(c.server ? [`    server: ${JSON.stringify(spell(c.server))}`] : []));
  lines.push('contexts:');
  for (const c of spec.contexts) lines.push(`- name: ${c.name}`, '  context:', `    cluster: ${c.cluster}`, `    user: u-${c.name}-${index}`, ...(c.namespace ? [`    namespace: ${c.namespace}`] : []));
  lines.push('users:');
  // Each context's own user, whose token names the context and the file: the stand-in echoes it.
  for (const c of spec.contexts) lines.push(`- name: u-${c.name}-${index}`, '  user:', `    token: ctx.${c.name}.${index}`);
  return `${lines.join('\n')}\n`;
}

interface Laid {
  argv: string[];
  env: Record<string, string>;
  dir: string;
  home: string;
  /** kubectl's command line: the case's argv with a shared discovery cache and -v=6 first. */
  kubectlArgs: string[];
}

function lay(c: Case, n: number): Laid {
  const dir = join(root, `case-${n}`);
  const home = join(dir, 'home');
  mkdirSync(join(home, '.kube'), { recursive: true });
  const paths = c.files.map((spec, i) => {
    const path = c.mode.kind === 'home' && i === 0 ? join(home, '.kube', 'config') : join(dir, `k${i}.yaml`);
    writeFileSync(path, kubeconfigText(spec, i));
    return path;
  });
  const env: Record<string, string> = { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const words = (flags: Flag[]) => flags.flatMap((f) => f.words);
  let kubeconfigFlag: string[] = [];
  if (c.mode.kind === 'env') env.KUBECONFIG = [...(c.mode.missing ? [join(dir, 'missing.yaml')] : []), ...c.mode.order.map((i) => paths[i]!)].join(':');
  if (c.mode.kind === 'flag') {
    const chosen = c.mode.file;
    const file = c.mode.spelling === 0 ? paths[chosen]! : `k${chosen}.yaml`; // relative: read from the working directory
    kubeconfigFlag = c.mode.spelling === 0 ? ['--kubeconfig', file] : [`--kubeconfig=${file}`];
    // The other files in KUBECONFIG, which --kubeconfig makes kubectl ignore.
    env.KUBECONFIG = paths.filter((_, i) => i !== chosen).join(':') || join(dir, 'none.yaml');
  }
  const argv = c.dashed
    ? ['kubectl', ...kubeconfigFlag, ...words(c.before), 'get', ...words(c.middle), '--', 'pods', ...c.dashed]
    : ['kubectl', ...kubeconfigFlag, ...words(c.before), 'get', ...words(c.middle), 'pods', ...words(c.after)];
  return { argv, env, dir, home, kubectlArgs: [`--cache-dir=${cacheDir}`, '-v=6', '--request-timeout=20s', '--insecure-skip-tls-verify', ...argv.slice(1)] };
}

interface Seen {
  server?: string;
  namespace?: string;
  /** The pod list was across all namespaces (`-A`). */
  allNamespaces?: boolean;
  /** The context whose user's token reached the stand-in. */
  context?: string;
  output: string;
}

function askKubectl(laid: Laid): Promise<Seen> {
  // stdin closed: with no user for a server, kubectl would ask for a user name.
  const child = spawn('kubectl', laid.kubectlArgs, { cwd: laid.dir, env: laid.env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => {
    child.on('close', () => {
      const output = `${stdout}${stderr}`;
      // The first request's server (discovery may fail: the server is still the one kubectl chose), the pod list's namespace.
      const first = /\bGET (https?:\/\/[^/\s]+)\//i.exec(stderr);
      const list = /\bGET https?:\/\/[^/\s]+\/api\/v1\/namespaces\/([^/\s]+)\/pods\?/i.exec(stderr);
      const everywhere = /\bGET https?:\/\/[^/\s]+\/api\/v1\/pods\?/i.test(stderr);
      const token = /\bctx\.([a-z-]+)\.\d/.exec(stdout);
      resolve({ ...(first ? { server: normalizeUrl(first[1]!) } : {}), ...(list ? { namespace: decodeURIComponent(list[1]!) } : {}), ...(everywhere ? { allNamespaces: true } : {}), ...(token ? { context: token[1] } : {}), output });
    });
  });
}

function guardReader(laid: Laid): ImpliedReader {
  const readText = (path: string): TextRead => {
    try {
      return { text: readFileSync(path, 'utf8') };
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ENOENT' ? { missing: true } : { problem: String((error as NodeJS.ErrnoException).code) };
    }
  };
  return {
    env: laid.env,
    cwd: laid.dir,
    home: laid.home,
    readText,
    readKubeconfig: async (path) => {
      const read = readText(path);
      return 'text' in read ? parseKubeconfig(read.text) : read;
    },
  };
}

/** What guard resolves, by flag: a value, null when it implies none, undefined when unknown. */
async function askGuard(laid: Laid): Promise<Record<string, string | null | undefined>> {
  const words: ImpliedWord[] = await impliedWords(laid.argv, NEEDED, guardReader(laid));
  const out: Record<string, string | null | undefined> = { '--context': null, '--cluster': null, '--server': null, '--namespace': null };
  // The target's own words come first; a server's other names follow ("same server"): the oracle checks the first.
  const seenNames = new Set<string>();
  for (const word of words) {
    if (seenNames.has(word.name)) continue;
    seenNames.add(word.name);
    out[word.name] = word.value;
  }
  return out;
}

async function pool<T, R>(items: readonly T[], work: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!, i);
    }
  }));
  return results;
}

/** The disagreements of one case; empty when guard and kubectl agree. */
function compare(guard: Record<string, string | null | undefined>, seen: Seen): string[] {
  const problems: string[] = [];
  // Across all namespaces (-A), the namespace is no one value: guard must leave it unknown (every rule on one applies).
  if (seen.allNamespaces && guard['--namespace'] !== undefined) problems.push(`namespace: guard ${guard['--namespace']}, kubectl listed every namespace`);
  // An unknown namespace is wrong only where kubectl listed one namespace (not with -A, nor when discovery failed first).
  const unknown = Object.entries(guard).filter(([k, v]) => v === undefined && (k !== '--namespace' || seen.namespace !== undefined)).map(([k]) => k);
  if (seen.server === undefined) return problems; // kubectl reached no server: any answer of guard's is safe
  if (unknown.length > 0) problems.push(`guard says ${unknown.join(', ')} unknown, but kubectl reached ${seen.server}`);
  if (guard['--server'] !== seen.server) problems.push(`server: guard ${guard['--server']}, kubectl ${seen.server}`);
  if (seen.namespace === undefined) return problems; // discovery failed (localhost:8080): no pod list to read the rest from
  if (guard['--namespace'] !== seen.namespace) problems.push(`namespace: guard ${guard['--namespace']}, kubectl ${seen.namespace}`);
  if ((guard['--context'] ?? undefined) !== seen.context) problems.push(`context: guard ${guard['--context']}, kubectl used the user of ${seen.context ?? 'no context'}`);
  return problems;
}

describe('kubectl is the oracle for guard\'s kubectl target', () => {
  it(`${CASES} generated cases: guard resolves the server, namespace and context kubectl uses`, async () => {
    const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
    console.log(`kube targets oracle: ${CASES} cases, FC_SEED=${seed}`);
    const cases = fc.sample(caseArb, { seed, numRuns: CASES });
    // Discovery once, into the shared cache: every case then makes one request (the pod list).
    await askKubectl({ ...lay({ files: [{ contexts: [], clusters: [] }], mode: { kind: 'home' }, before: [], middle: [], after: [], dashed: undefined }, -1), kubectlArgs: [`--cache-dir=${cacheDir}`, `--server=${apis[0]!.url}`, '--insecure-skip-tls-verify', 'get', 'pods'] });
    const results = await pool(cases, async (c, n) => {
      const laid = lay(c, n);
      const started = performance.now();
      const [seen, guard] = await Promise.all([askKubectl(laid), askGuard(laid)]);
      return { laid, seen, guard, problems: compare(guard, seen), ms: performance.now() - started };
    });
    const reached = results.filter((r) => r.seen.server !== undefined).length;
    const refusedUnknown = results.filter((r) => r.seen.server === undefined && Object.values(r.guard).includes(undefined)).length;
    console.log(`kube targets oracle: ${reached} cases reached a server, ${results.length - reached} refused by kubectl (${refusedUnknown} of them unknown to guard)`);
    if (process.env.ORACLE_DEBUG) for (const r of [...results].sort((a, b) => b.ms - a.ms).slice(0, 8)) console.log(`SLOW ${Math.round(r.ms)} ${JSON.stringify(r.laid.argv)} ${r.seen.output.slice(-300)}`);
    if (process.env.ORACLE_DEBUG) for (const r of results.filter((r) => r.seen.server === undefined)) console.log(`REFUSED ${/(error[^\n]*|Error[^\n]*|Please[^\n]*)/.exec(r.seen.output)?.[1]?.slice(0, 70)}`);
    const failed = results.filter((r) => r.problems.length > 0);
    const shown = failed.slice(0, 5).map((r) => [
      `argv: ${JSON.stringify(r.laid.argv)}  KUBECONFIG=${r.laid.env.KUBECONFIG ?? '(unset)'}`,
      ...r.problems.map((p) => `  ${p}`),
      ...(process.env.ORACLE_FILES ? readdirKube(r.laid).map((f) => `  ${f}`) : []),
    ].join('\n'));
    expect(shown, `FC_SEED=${seed}: ${failed.length} of ${results.length} cases disagree`).toEqual([]);
    expect(reached).toBeGreaterThan(CASES / 2);
  }, 400_000); // ~20 s on an idle 2-core machine; minutes when 8 engineers share it
});

/**
 * Sharp cases, each written down with what kubectl does (and checked against
 * kubectl again on every run): pflag's readings that a naive parser gets
 * wrong. Files: k0 has contexts dev (cluster c-dev, namespace team-a) and
 * prod (cluster c-prod), current-context dev.
 */
const TABLE: Array<[string, { server: 0 | 1 | 'localhost'; namespace?: string; context?: string } | 'refused']> = [
  ['get pods -wn prod', { server: 0, namespace: 'prod', context: 'dev' }],
  ['get pods -wRnprod', { server: 0, namespace: 'prod', context: 'dev' }],
  // -n= gives the namespace "=" (pflag: a one-letter flag's value is the rest of the word).
  ['get pods -n=', { server: 0, namespace: '=', context: 'dev' }],
  // -l takes a value: "-nprod" is the selector, not a namespace.
  ['get pods -l -nprod', { server: 0, namespace: 'team-a', context: 'dev' }],
  ['get pods --all_namespaces=false -n prod', { server: 0, namespace: 'prod', context: 'dev' }],
  // -A lists every namespace (guard: the namespace is unknown, so every rule on one applies); -A=false undoes it.
  ['get pods -n team-a -A', { server: 0, context: 'dev' }],
  ['get pods -A -A=false -n prod', { server: 0, namespace: 'prod', context: 'dev' }],
  // -v takes a value: "--context=prod" is the log level's, so kubectl refuses the level.
  ['-v --context=prod get pods', 'refused'],
  // The last value wins; an empty --context= falls back to the current context.
  ['--context=prod get pods --context=', { server: 0, namespace: 'team-a', context: 'dev' }],
  ['--context=dev get --context prod pods', { server: 1, namespace: 'default', context: 'prod' }],
  // After --, words are resource names: kubectl asks the server about a type "-n", then lists nothing.
  ['get -n prod -- pods -n kube-system', { server: 0 }],
  ['get -n prod -- pods', { server: 0, namespace: 'prod', context: 'dev' }],
  // A flag before the command word takes its value (stripFlags): "get" is found after it.
  ['--namespace prod get pods', { server: 0, namespace: 'prod', context: 'dev' }],
  ['-s HTTPS://127.0.0.1:PORT1/ get pods', { server: 1, namespace: 'team-a', context: 'dev' }],
  ['--cluster c-prod get pods', { server: 1, namespace: 'team-a', context: 'dev' }],
  ['--cluster ghost get pods', 'refused'],
  ['--context ghost get pods', 'refused'],
  ['no-such-command pods', 'refused'],
];

describe('regression table: each sharp case as kubectl reads it', () => {
  it.each(TABLE)('kubectl %s', async (line, expected) => {
    const port = (i: number) => new URL(apis[i]!.url).port;
    const c: Case = {
      files: [{ current: 'dev', contexts: [{ name: 'dev', cluster: 'c-dev', namespace: 'team-a' }, { name: 'prod', cluster: 'c-prod', namespace: '' }], clusters: [{ name: 'c-dev', server: { api: 0, spelling: 0 } }, { name: 'c-prod', server: { api: 1, spelling: 1 } }] }],
      mode: { kind: 'env', order: [0], missing: false },
      before: [],
      middle: [],
      after: [],
      dashed: undefined,
    };
    const laid = lay(c, 10_000 + TABLE.findIndex(([l]) => l === line));
    laid.argv = ['kubectl', ...line.replace('PORT1', port(1)).split(' ')];
    laid.kubectlArgs = [`--cache-dir=${cacheDir}`, '-v=6', '--request-timeout=20s', '--insecure-skip-tls-verify', ...laid.argv.slice(1)];
    // The table's -v case must keep its own -v: no -v=6 of ours before it (the last -v would win anyway).
    if (line.startsWith('-v ')) laid.kubectlArgs = laid.kubectlArgs.filter((word) => word !== '-v=6');
    const [seen, guard] = await Promise.all([askKubectl(laid), askGuard(laid)]);
    expect(compare(guard, seen)).toEqual([]);
    if (expected === 'refused') {
      expect(seen.server).toBeUndefined();
      return;
    }
    expect(seen.server).toBe(normalizeUrl(apis[expected.server as number]!.url));
    expect({ namespace: seen.namespace, context: seen.context }).toEqual({ namespace: expected.namespace, context: expected.context });
    if (line.endsWith(' -A')) expect(guard['--namespace']).toBeUndefined();
    if (expected.namespace !== undefined) expect(guard['--namespace']).toBe(expected.namespace);
  });
});

function readdirKube(laid: Laid): string[] {
  const files = [join(laid.home, '.kube', 'config'), ...[0, 1, 2].map((i) => join(laid.dir, `k${i}.yaml`))];
  return files.flatMap((file) => {
    try {
      return [`${file}:\n${readFileSync(file, 'utf8').replace(/^/gm, '    ')}`];
    } catch {
      return [];
    }
  });
}
