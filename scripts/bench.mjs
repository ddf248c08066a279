#!/usr/bin/env node
// `npm run bench [-- --quick] [-- --rounds N]`: times guard against the floor
// of a Node program that spawns a child, in ONE run, cases alternating
// round by round, after warm-ups; prints medians, ratios to the floor and
// peak memory. It reports; it asserts nothing (machines are noisy).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { approveLogin } from './lib/approve.mjs';
import { ensureKeyringSession, spawnDevIdp, spawnReady } from './lib/keyring-session.mjs';

ensureKeyringSession(import.meta.url, 'bench');
ensureTerminal();

/**
 * The `bind: terminal` case needs a controlling terminal (SPEC §10): without
 * one (CI, a detached job), run the benchmark again inside a pty from
 * util-linux `script`, so guard's children have one. Never returns then.
 */
function ensureTerminal() {
  let stat = '';
  try {
    stat = readFileSync('/proc/self/stat', 'utf8');
  } catch {
    return; // no /proc: the bound case reports its failure
  }
  if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[4]) !== 0 || process.env.GUARD_BENCH_IN_PTY) return;
  const line = [process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)].map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawnSync('script', ['-qec', line, '/dev/null'], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, GUARD_BENCH_IN_PTY: '1' } });
  process.exit(child.status ?? 1);
}

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const roundsArg = args.indexOf('--rounds');
const rounds = roundsArg >= 0 ? Number(args[roundsArg + 1]) : quick ? 5 : 30;
const warmups = quick ? 1 : 3;
const root = fileURLToPath(new URL('..', import.meta.url));
const guard = join(root, 'bin/guard');
// The compiled binary (npm run build:binary; docs/binary.md), when built: its rows stand beside Bun's own floor.
const compiled = join(root, 'dist/guard');
const bun = join(root, 'node_modules/@oven/bun-linux-x64/bin/bun');
const withCompiled = existsSync(compiled) && existsSync(bun);
if (!withCompiled) console.error('bench: no dist/guard (or no Bun in node_modules): the compiled rows need npm run build:binary');

const { issuer, child: idp } = await spawnDevIdp(spawn);
const STATIC_TOKEN = 'bench-static-token';
// A Kubernetes API endpoint in its own process (this one blocks in spawnSync while it times).
const { ready: kube, child: kubeApi } = await spawnReady(spawn, 'dev-kube-api.mjs', 'GUARD_KUBE_API_READY', ['--issuer', issuer, '--static-token', STATIC_TOKEN]);
// An STS stand-in for guard aws-credential (its first call fills the keychain cache; the cases time cached calls).
const { ready: sts, child: stsChild } = await spawnReady(spawn, 'dev-sts.mjs', 'GUARD_STS_READY', ['--issuer', issuer]);
const AWS_ROLE = 'arn:aws:iam::111122223333:role/bench';
const dir = mkdtempSync(join(tmpdir(), 'guard-bench-'));
writeFileSync(
  join(dir, 'config.yaml'),
  `version: 1
profiles:
  bench:
    issuer: ${issuer}
    client_id: guard-cli
    scopes: [openid, profile, offline_access]
    aws_sts_endpoint: ${sts.url}
tiers:
  standard: { idle: 1h, max_session: 12h }
  bound: { idle: 1h, max_session: 12h, bind: terminal }
default_tier: standard
rules:
  - name: bound
    match: "true bound"
    tier: bound
  - name: injected
    match: "true injected"
    tier: standard
    env: { BENCH_TOKEN: "{access_token}" }
  - name: prod-kube
    match: "kubectl ** --context=prod*"
    tier: standard
  - name: prod-db
    match: "psql ** --host=*prod*"
    tier: standard
aliases: [kubectl, psql, terraform]
`,
);
// The kubectl alias of shell-init: \`guard run -- kubectl …\`, whose rule needs the kubeconfig's current context.
mkdirSync(join(dir, 'bin'));
symlinkSync(existsSync('/usr/bin/true') ? '/usr/bin/true' : '/bin/true', join(dir, 'bin', 'kubectl'));
// The psql alias likewise: its rule needs the target psql resolves (argv, a service of pg_service.conf, PGHOST…).
symlinkSync(existsSync('/usr/bin/true') ? '/usr/bin/true' : '/bin/true', join(dir, 'bin', 'psql'));
writeFileSync(join(dir, 'pg_service.conf'), '[dev]\nhost=dev-db.internal\nport=5433\ndbname=app\n\n[prod]\nhost=prod-db.internal\n');
writeFileSync(
  join(dir, 'kubeconfig'),
  `apiVersion: v1
kind: Config
clusters:
- name: staging
  cluster: { server: "https://staging.example.com" }
- name: prod
  cluster: { server: "https://prod.example.com" }
contexts:
- name: staging
  context: { cluster: staging, user: me, namespace: apps }
- name: prod-eu
  context: { cluster: prod, user: me }
current-context: staging
`,
);
// The resolver's cost (issue 22), A/B: the same alias with no kubectl rule (nothing is resolved), and
// with rules on the cluster's server and the namespace (context → cluster → server, and the namespace).
const configText = readFileSync(join(dir, 'config.yaml'), 'utf8');
writeFileSync(join(dir, 'config-no-kube.yaml'), configText.replace(/  - name: prod-kube\n[^\n]*\n[^\n]*\n/, ''));
writeFileSync(join(dir, 'config-target.yaml'), configText.replace('match: "kubectl ** --context=prod*"', 'match: "kubectl ** --server=https://prod.example.com"\n    tier: standard\n  - name: prod-ns\n    match: "kubectl ** --namespace=prod*"'));
// Written a minute ago: guard caches what it read from the first run on (a just-written file is re-read; see kubeconfig-cache.ts).
utimesSync(join(dir, 'kubeconfig'), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
const env = {
  ...process.env,
  GUARD_CONFIG: join(dir, 'config.yaml'),
  GUARD_STATE_DIR: join(dir, 'state'),
  GUARD_SYSTEM_POLICY: join(dir, 'none.yaml'),
  GUARD_PROFILE: 'bench',
  KUBECONFIG: join(dir, 'kubeconfig'),
  PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
  // The dev IdP sends no poll interval; 0.1 s keeps the login case about guard, not about waiting.
  GUARD_POLL_INTERVAL: '0.1',
  KUBECACHEDIR: join(dir, 'kube-cache'),
  PGSERVICEFILE: join(dir, 'pg_service.conf'),
};
delete env.CI;

// Two contexts on the same API: one with a static token, one whose user guard kubeconfig points at guard kube-credential.
// Their own kubeconfig, and the real kubectl (not the alias case's stand-in on PATH).
const kubeEnv = { ...env, KUBECONFIG: join(dir, 'kube-api.kubeconfig'), PATH: process.env.PATH };
const cluster = `- cluster:\n    certificate-authority-data: ${readFileSync(kube.caFile).toString('base64')}\n    server: ${kube.url}\n  name: bench`;
// The floors of an exec plugin, for scale: the mechanism itself (a shell script that prints a fixed
// credential) and any plugin written for Node (node -e printing the same).
const fixedCredential = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: STATIC_TOKEN } });
writeFileSync(join(dir, 'sh-plugin'), `#!/bin/sh\necho '${fixedCredential}'\n`, { mode: 0o700 });
const execUser = (name, command, args) => `- name: ${name}\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: ${JSON.stringify(command)}\n      args: ${JSON.stringify(args)}\n      interactiveMode: Never\n`;
const context = (name) => `- context: {cluster: bench, user: ${name}}\n  name: ${name}\n`;
writeFileSync(
  kubeEnv.KUBECONFIG,
  `apiVersion: v1\nkind: Config\nclusters:\n${cluster}\ncontexts:\n${['static', 'guarded', 'compiled', 'sh-plugin', 'node-plugin'].map(context).join('')}users:\n- name: static\n  user:\n    token: ${STATIC_TOKEN}\n` +
    ['guarded', 'compiled'].map((name) => `- name: ${name}\n  user:\n    token: ${STATIC_TOKEN}\n`).join('') +
    execUser('sh-plugin', join(dir, 'sh-plugin'), []) +
    execUser('node-plugin', process.execPath, ['-e', `process.stdout.write(${JSON.stringify(fixedCredential)})`]),
  { mode: 0o600 },
);
spawnSync(guard, ['kubeconfig', '--context', 'guarded'], { env: kubeEnv, stdio: 'ignore' });
// The binary writes its own path as the exec command (src/util/runtime.ts).
if (withCompiled) spawnSync(compiled, ['kubeconfig', '--context', 'compiled'], { env: kubeEnv, stdio: 'ignore' });
const kubectlRaw = (context) => ['--context', context, 'get', '--raw', '/api/v1/namespaces/default/pods'];

const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;
function timeSync(command, commandArgs, commandEnv = env) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, commandArgs, { env: commandEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  const elapsed = ms(start);
  if (result.status !== 0) throw new Error(`${command} ${commandArgs.join(' ')} exited ${result.status}: ${result.stderr}`);
  return elapsed;
}

async function login() {
  const start = process.hrtime.bigint();
  const { code, stderr } = await approveLogin(spawn(guard, ['login'], { env, stdio: ['ignore', 'ignore', 'pipe'] }), { login: 'bench' });
  if (code !== 0) throw new Error(`guard login exited ${code}: ${stderr}`);
  return ms(start);
}

async function parallel(n) {
  const start = process.hrtime.bigint();
  const codes = await Promise.all(
    Array.from({ length: n }, () => new Promise((resolve) => spawn(guard, ['run', '--', 'true'], { env, stdio: 'ignore' }).once('close', resolve))),
  );
  const failures = codes.filter((code) => code !== 0).length;
  if (failures) throw new Error(`${failures} of ${n} parallel runs failed`);
  return ms(start);
}

/** Peak resident memory of one command, via the kernel's rusage of children (python3 exposes it). */
function peakRss(command, commandArgs) {
  const probe = spawnSync('python3', ['-c', 'import resource,subprocess,sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)', command, ...commandArgs], { env, encoding: 'utf8' });
  return probe.status === 0 ? Number(probe.stdout.trim()) / 1024 : undefined;
}

const floorArgs = ['-e', "require('node:child_process').spawnSync('true',{stdio:'inherit'})"];
const cases = [
  { name: 'floor: node + spawnSync(true)', run: () => timeSync(process.execPath, floorArgs), rss: () => peakRss(process.execPath, floorArgs) },
  { name: 'guard run -- true (valid session)', run: () => timeSync(guard, ['run', '--', 'true']), rss: () => peakRss(guard, ['run', '--', 'true']), budget: 1.1 },
  { name: 'guard run -- true (env injection)', run: () => timeSync(guard, ['run', '--', 'true', 'injected']), rss: () => peakRss(guard, ['run', '--', 'true', 'injected']), budget: 1.45 },
  { name: 'guard run -- kubectl (alias, kubeconfig)', run: () => timeSync(guard, ['run', '--', 'kubectl', 'get', 'pods']), rss: () => peakRss(guard, ['run', '--', 'kubectl', 'get', 'pods']), budget: 1.25 },
  { name: 'guard run -- psql (alias, pg_service.conf)', run: () => timeSync(guard, ['run', '--', 'psql', 'service=dev', '-Xc', 'select 1']), rss: () => peakRss(guard, ['run', '--', 'psql', 'service=dev', '-Xc', 'select 1']), budget: 1.25 },
  { name: 'guard run -- kubectl (alias, no rule)', run: () => timeSync(guard, ['run', '--', 'kubectl', 'get', 'pods'], { ...env, GUARD_CONFIG: join(dir, 'config-no-kube.yaml') }), budget: 1.25 },
  { name: 'guard run -- kubectl (server+ns rules)', run: () => timeSync(guard, ['run', '--', 'kubectl', 'get', 'pods', '-wn', 'apps'], { ...env, GUARD_CONFIG: join(dir, 'config-target.yaml') }), budget: 1.25 },
  { name: 'guard run -- true (bind: terminal)', run: () => timeSync(guard, ['run', '--', 'true', 'bound']), rss: () => peakRss(guard, ['run', '--', 'true', 'bound']), budget: 1.25 },
  { name: 'guard token (valid session)', run: () => timeSync(guard, ['token']), rss: () => peakRss(guard, ['token']) },
  { name: 'guard kube-credential (valid)', run: () => timeSync(guard, ['kube-credential']), rss: () => peakRss(guard, ['kube-credential']) },
  { name: 'guard aws-credential (cached)', run: () => timeSync(guard, ['aws-credential', '--role-arn', AWS_ROLE]), rss: () => peakRss(guard, ['aws-credential', '--role-arn', AWS_ROLE]), vs: 'guard kube-credential (valid)', budget: 1.15 },
  { name: 'kubectl get --raw, static token', run: () => timeSync('kubectl', kubectlRaw('static'), kubeEnv) },
  { name: 'kubectl get --raw, plugin in sh', run: () => timeSync('kubectl', kubectlRaw('sh-plugin'), kubeEnv), vs: 'kubectl get --raw, static token' },
  { name: 'kubectl get --raw, plugin in node -e', run: () => timeSync('kubectl', kubectlRaw('node-plugin'), kubeEnv), vs: 'kubectl get --raw, static token' },
  { name: 'kubectl get --raw, through guard', run: () => timeSync('kubectl', kubectlRaw('guarded'), kubeEnv), vs: 'kubectl get --raw, static token', budget: 1.1 },
  { name: 'guard shell-init bash', run: () => timeSync(guard, ['shell-init', 'bash']), rss: () => peakRss(guard, ['shell-init', 'bash']) },
  ...(withCompiled ? compiledCases() : []),
  { name: 'full login, HTTP auto-approval', run: login, every: quick ? rounds : 3, budgetMs: 1500 },
  { name: '50 parallel guard run -- true', run: () => parallel(50), every: quick ? rounds : 5 },
];

/** The compiled binary's rows, each beside Bun's floor (a Bun program that spawns a child), as the Node rows stand beside Node's. */
function compiledCases() {
  const bunFloorArgs = ['-e', "require('child_process').spawnSync('true',{stdio:'inherit'})"];
  const bunFloor = 'floor: bun + spawnSync(true)';
  const row = (name, commandArgs, budget) => ({ name: `compiled: ${name}`, run: () => timeSync(compiled, commandArgs), rss: () => peakRss(compiled, commandArgs), vs: bunFloor, budget });
  return [
    { name: bunFloor, run: () => timeSync(bun, bunFloorArgs), rss: () => peakRss(bun, bunFloorArgs) },
    row('guard run -- true (valid session)', ['run', '--', 'true'], 1.3),
    row('guard token (valid session)', ['token'], 1.5),
    row('guard kube-credential (valid)', ['kube-credential']),
    row('guard shell-init bash', ['shell-init', 'bash']),
    { name: 'kubectl get --raw, through compiled guard', run: () => timeSync('kubectl', kubectlRaw('compiled'), kubeEnv), vs: 'kubectl get --raw, static token' },
  ];
}

await login(); // a valid session for the other cases
const samples = new Map(cases.map((c) => [c.name, []]));
for (let round = 0; round < warmups + rounds; round++) {
  // Alternate the order each round so drift and caching hit every case alike.
  const order = round % 2 === 0 ? cases : [...cases].reverse();
  for (const c of order) {
    if (c.every && round % c.every !== 0 && round >= warmups) continue;
    if (c.every && round < warmups && round > 0) continue;
    const t = await c.run();
    if (round >= warmups) samples.get(c.name).push(t);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const floor = median(samples.get(cases[0].name));
const rows = cases.map((c) => {
  const xs = samples.get(c.name);
  const med = median(xs);
  const rss = c.rss?.();
  // Each ratio is to the floor, or (vs) to its side-by-side baseline measured in the same rounds.
  const base = c.vs ? median(samples.get(c.vs)) : floor;
  let verdict = c.vs ? `${(med / base).toFixed(2)}× ${c.vs.replace(/^kubectl get --raw, /, '').replace(/ \(valid\)$/, '').replace(/ \+ spawnSync\(true\)$/, '')}${c.budget ? '; ' : ''}` : '';
  if (c.budget) verdict += med / base <= c.budget ? `ok (≤ ${c.budget}×)` : `OVER (budget ${c.budget}×)`;
  if (c.budgetMs) verdict = med <= c.budgetMs ? `ok (≤ ${c.budgetMs} ms)` : `OVER (budget ${c.budgetMs} ms)`;
  return { name: c.name, n: xs.length, median: med, min: Math.min(...xs), ratio: med / floor, rss, verdict };
});

// How often kubectl ran the plugin per call (client-go caches a credential per process only).
const pluginRuns = readFileSync(join(dir, 'state', 'audit.jsonl'), 'utf8').split('\n').filter((line) => line.includes('"command":"kube-credential"') && line.includes('"server":') && line.includes('"event":"allowed"')).length;
const kubectlCalls = (warmups + rounds) * (withCompiled ? 2 : 1); // the Node and the compiled plugin share the audit log
const shellStart = newShellCost();
spawnSync(guard, ['logout'], { env, stdio: 'ignore' });
idp.kill('SIGTERM');
kubeApi.kill('SIGTERM');
stsChild.kill('SIGTERM');
rmSync(dir, { recursive: true, force: true });

/**
 * What guard's rc line adds to a new interactive bash (issue 23: at most
 * 10 ms), measured by hyperfine (Debian's `hyperfine`) as `bash -ic exit`
 * with an rc file holding only guard's line against an empty one. The warm-ups
 * let the first start write the generated file, as a user's first new shell
 * does.
 */
function newShellCost() {
  if (spawnSync('hyperfine', ['--version'], { stdio: 'ignore' }).status !== 0) return { problem: 'hyperfine is not installed (scripts/install-system-deps.sh installs it)' };
  const line = spawnSync(guard, ['shell-init', '--rc-line', 'bash'], { env, encoding: 'utf8' }).stdout;
  writeFileSync(join(dir, 'guard.bashrc'), line);
  writeFileSync(join(dir, 'empty.bashrc'), '');
  const json = join(dir, 'hyperfine.json');
  const run = spawnSync(
    'hyperfine',
    ['-N', '--warmup', '5', '--runs', String(quick ? 20 : 100), '--export-json', json, `bash --rcfile ${join(dir, 'empty.bashrc')} -ic exit`, `bash --rcfile ${join(dir, 'guard.bashrc')} -ic exit`],
    { env: { ...env, PATH: `${join(root, 'bin')}:${env.PATH}` }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
  );
  if (run.status !== 0) return { problem: `hyperfine failed: ${run.stderr.trim().split('\n').at(-1)}` };
  const [without, withGuard] = JSON.parse(readFileSync(json, 'utf8')).results.map((r) => ({ median: r.median * 1000, min: r.min * 1000, cpu: (r.user + r.system) * 1000 }));
  return { without, withGuard };
}

const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
console.log(`guard benchmark — ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${cpus().length}× ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB${quick ? ', quick mode' : ''}`);
console.log(`${pad('case', 46)}${lpad('n', 4)}${lpad('median', 11)}${lpad('min', 10)}${lpad('× floor', 9)}${lpad('peak RSS', 10)}  budget`);
for (const r of rows) {
  console.log(`${pad(r.name, 46)}${lpad(r.n, 4)}${lpad(`${r.median.toFixed(1)} ms`, 11)}${lpad(`${r.min.toFixed(1)} ms`, 10)}${lpad(`${r.ratio.toFixed(2)}×`, 9)}${lpad(r.rss ? `${r.rss.toFixed(0)} MB` : '—', 10)}  ${r.verdict}`);
}
if (shellStart.problem) console.log(`new interactive bash: not measured (${shellStart.problem})`);
else {
  const added = shellStart.withGuard.median - shellStart.without.median;
  // The medians decide, as for every row; min and CPU time show what a loaded machine's waiting hides.
  console.log(`new interactive bash (hyperfine, bash -ic exit): median ${shellStart.without.median.toFixed(1)} ms without guard's rc line, ${shellStart.withGuard.median.toFixed(1)} ms with it (min ${shellStart.without.min.toFixed(1)} / ${shellStart.withGuard.min.toFixed(1)} ms, CPU ${shellStart.without.cpu.toFixed(1)} / ${shellStart.withGuard.cpu.toFixed(1)} ms): +${added.toFixed(1)} ms, ${added <= 10 ? 'ok (≤ +10 ms)' : 'OVER (budget +10 ms)'}`);
}
console.log(`kubectl ran guard kube-credential ${(pluginRuns / kubectlCalls).toFixed(2)}× per call (${pluginRuns} runs in ${kubectlCalls} calls)`);
if (withCompiled) console.log(`compiled binary: ${(statSync(compiled).size / 2 ** 20).toFixed(1)} MiB (dist/guard)`);
// What of kubectl's plugin time is guard's own: the Node plugin that only prints is the floor of any plugin in Node.
const byName = new Map(rows.map((r) => [r.name, r.median]));
const nodePlugin = byName.get('kubectl get --raw, plugin in node -e');
const guarded = byName.get('kubectl get --raw, through guard');
console.log(`kubectl through guard: ${(guarded / nodePlugin).toFixed(2)}× the Node plugin that only prints a credential (+${(guarded - nodePlugin).toFixed(1)} ms: the decision, the keychain read, the activity)`);
