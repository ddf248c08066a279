#!/usr/bin/env node
// Writes src/policy/implied/kubectl-flags.ts: kubectl's command tree and,
// for every command, each flag's shorthand and whether a bare `--flag` (or
// `-f`) takes the next word as its value — asked of the installed kubectl
// itself, so the resolver parses argv exactly as kubectl's cobra/pflag do.
//
//   node scripts/gen-kubectl-flags.mjs           write the table
//   node scripts/gen-kubectl-flags.mjs --check   exit 1 when the table differs from the installed kubectl
//   … --check --sample N   the same, probing only N flags (seeded by SEED) besides those whose help
//                          default disagrees with the table: the command tree, names and shorthands
//                          are always checked in full (the test suite's quick form, ~5 s)
//
// How each fact is learned (all from the real binary, no reading of its docs):
// - commands: the "… Commands:" sections of `kubectl [PATH] --help`, the "Aliases:" section, and
//   the few that kubectl accepts without listing them (HIDDEN_COMMANDS, kept when `--help` works);
// - flags and shorthands: the "Options:" section (and `kubectl options` for the global ones);
// - takes a value: `kubectl PATH --help --NAME` fails with "flag needs an argument" exactly when
//   pflag would take the next word as the value (no NoOptDefVal); otherwise the flag is a boolean
//   or has an optional value (`--dry-run`), and the help is printed — nothing runs.
// Hidden and deprecated flags are not listed: argv holding one is parsed as unknown (fail closed).
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const OUT = fileURLToPath(new URL('../src/policy/implied/kubectl-flags.ts', import.meta.url));
const PARALLEL = 4;
const HIDDEN_COMMANDS = ['help', 'options', 'alpha'];
// No kubeconfig, no server: help and flag errors never need one.
const ENV = { ...process.env, KUBECONFIG: '/dev/null', HOME: '/nonexistent', LANG: 'C', COLUMNS: '200' };

function kubectl(args) {
  return new Promise((resolve) => {
    execFile('kubectl', args, { env: ENV, maxBuffer: 8 << 20, timeout: 30_000 }, (error, stdout, stderr) => resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr }));
  });
}

async function pool(items, work) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(PARALLEL, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]);
      }
    }),
  );
  return results;
}

/** The sections of a help text: header line → its lines. */
function sections(text) {
  const out = new Map();
  let current;
  for (const line of text.split('\n')) {
    if (/^\S.*:$/.test(line)) out.set((current = line.slice(0, -1)), []);
    else if (current) out.get(current).push(line);
  }
  return out;
}

/** `    -n, --namespace='':` → { name, short } for each flag line of an options section. */
function flagsOf(lines) {
  const flags = [];
  for (const line of lines) {
    const m = /^ {4}(?:-([A-Za-z0-9]), )?--([A-Za-z0-9][A-Za-z0-9_-]*)=(.*):$/.exec(line);
    if (m) flags.push({ name: m[2], short: m[1], looksBoolean: m[3] === 'true' || m[3] === 'false' });
  }
  return flags;
}

function commandsOf(help) {
  const names = [];
  for (const [header, lines] of sections(help)) {
    if (!/Commands\b/.test(header)) continue;
    for (const line of lines) {
      const m = /^ {2}([a-z][a-z0-9-]*)\s{2,}\S/.exec(line);
      if (m) names.push(m[1]);
    }
  }
  return names;
}

function aliasesOf(help) {
  const lines = sections(help).get('Aliases') ?? [];
  const names = lines.join(' ').split(/[\s,]+/).filter(Boolean);
  return names.slice(1); // the first is the command's own name
}

async function takesValue(path, flag) {
  const probe = await kubectl([...path, '--help', `--${flag}`]);
  return /flag needs an argument/.test(probe.stderr);
}

async function describe(path) {
  const help = (await kubectl([...path, '--help'])).stdout;
  const local = path.length === 0 ? [] : flagsOf(sections(help).get('Options') ?? []);
  return { path, help, local, subs: commandsOf(help), aliases: path.length === 0 ? [] : aliasesOf(help) };
}

/** The table as written, `path` → flag name → takes a value (for --check --sample). */
function currentValues() {
  const text = readFileSync(OUT, 'utf8');
  const values = new Map();
  const add = (path, flags) => values.set(path, new Map(flags.split(' ').filter(Boolean).map((f) => [f.replace(/[:=].*$/, ''), f.endsWith('=')])));
  add('', JSON.parse(/KUBECTL_GLOBAL_FLAGS = (".*");/.exec(text)[1]));
  for (const m of text.matchAll(/^ {2}("[^"]*"): \{.* flags: (".*") \},$/gm)) add(JSON.parse(m[1]), JSON.parse(m[2]));
  return values;
}

/** Probes every flag, or (with a sample) only the ones picked and those the table and the help disagree on. */
function prober(sample) {
  if (sample === undefined) return (path, flag) => takesValue(path, flag.name);
  const known = currentValues();
  let seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
  process.stdout.write(`sample of ${sample} probes, SEED=${seed}\n`);
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  let left = sample;
  return async (path, flag, total) => {
    const stored = known.get(path.join(' '))?.get(flag.name);
    const picked = left > 0 && random() < sample / total && left--;
    if (stored === undefined || stored === flag.looksBoolean || picked) return takesValue(path, flag.name);
    return stored;
  };
}

async function collect(sample) {
  const probe = prober(sample);
  const version = /Client Version: (\S+)/.exec((await kubectl(['version', '--client'])).stdout)?.[1] ?? 'unknown';
  const globals = flagsOf((await kubectl(['options'])).stdout.split('\n'));
  const commands = [];
  const root = await describe([]);
  // Commands kubectl accepts but its help does not list (cobra's help, kubectl options, alpha).
  for (const extra of HIDDEN_COMMANDS) if (!root.subs.includes(extra) && (await kubectl([extra, '--help'])).code === 0) root.subs.push(extra);
  let level = [root];
  while (level.length > 0) {
    commands.push(...level);
    const next = level.flatMap((command) => command.subs.map((sub) => [...command.path, sub]));
    level = await pool(next, describe);
  }
  const probes = [...globals.map((flag) => ({ command: { path: [] }, flag })), ...commands.flatMap((command) => command.local.map((flag) => ({ command, flag })))];
  const values = await pool(probes, ({ command, flag }) => probe(command.path, flag, probes.length));
  const global = globals;
  probes.forEach(({ flag }, i) => (flag.value = values[i]));
  return { version, global, commands: commands.filter((command) => command.path.length > 0) };
}

/** `namespace:n=`: the long name, `:X` its shorthand, `=` when a bare flag takes the next word. */
const encode = (flags) => flags.map((flag) => `${flag.name}${flag.short ? `:${flag.short}` : ''}${flag.value ? '=' : ''}`).join(' ');

function render({ version, global, commands }) {
  const entries = commands.map((command) => {
    const aliases = command.aliases.length > 0 ? ` aliases: ${JSON.stringify(command.aliases.join(' '))},` : '';
    return `  ${JSON.stringify(command.path.join(' '))}: {${aliases} flags: ${JSON.stringify(encode(command.local))} },`;
  });
  return `// Generated by scripts/gen-kubectl-flags.mjs from kubectl ${version}: do not edit by hand.
// test/integration/kube-targets-oracle.test.ts checks it against the installed kubectl.
/**
 * kubectl's command tree and flags, as its cobra/pflag parser reads them.
 * A flag is \`name\`, \`name:X\` (shorthand -X), and ends in \`=\` when a bare
 * \`--name\` / \`-X\` takes the next word as its value.
 */
export const KUBECTL_VERSION = ${JSON.stringify(version)};

/** The global (persistent) flags, valid after every command. */
export const KUBECTL_GLOBAL_FLAGS = ${JSON.stringify(encode(global))};

/** Each command path → its aliases and its own flags (a local flag hides a global one of the same name). */
export const KUBECTL_COMMANDS: Readonly<Record<string, { aliases?: string; flags: string }>> = {
${entries.join('\n')}
};
`;
}

const sampleAt = process.argv.indexOf('--sample');
const text = render(await collect(sampleAt > 0 ? Number(process.argv[sampleAt + 1]) : undefined));
if (process.argv.includes('--check')) {
  const current = readFileSync(OUT, 'utf8');
  if (current !== text) {
    const a = current.split('\n');
    const b = text.split('\n');
    const line = a.findIndex((l, i) => l !== b[i]);
    process.stderr.write(`kubectl-flags.ts differs from the installed kubectl at line ${line + 1}:\n- ${a[line]}\n+ ${b[line]}\nrun: node scripts/gen-kubectl-flags.mjs\n`);
    process.exit(1);
  }
  process.stdout.write('kubectl-flags.ts matches the installed kubectl\n');
} else {
  writeFileSync(OUT, text);
  process.stdout.write(`wrote ${OUT}\n`);
}
