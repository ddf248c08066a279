/**
 * Implied words (SPEC §2): what kubectl, helm, psql and terraform take from
 * their environment when argv does not say it, as flags a rule can match:
 * the kubeconfig's current context and namespace, PGHOST / PGDATABASE /
 * PGUSER, the selected terraform workspace. Words typed win; a source that
 * cannot be read gives an unknown value, which every rule on that flag
 * matches (fail closed). Pure: files come through an injected reader.
 */
import { basename, isAbsolute, join } from 'node:path';
import { spellings } from '../flag-aliases.ts';
import { occurrenceAt, type FlagName } from '../flag-words.ts';
import type { ImpliedFlag } from '../matcher.ts';
import { kubeconfigPaths, mergeKubeconfigs, type KubeRead } from './kubeconfig.ts';
import { pgTargetOf } from './pg-connection.ts';
import { tilde } from '../../util/text.ts';

/** One implied flag, with where it came from (for explain and the audit log). */
export interface ImpliedWord extends ImpliedFlag {
  /** `~/.kube/config`, `PGHOST`, `.terraform/environment`, … */
  source: string;
  /** Why the value is unknown, when it is. */
  problem?: string;
}

export type TextRead = { text: string } | { missing: true } | { problem: string };

/** The outside world implied words are read from: injected, so the core stays pure. */
export interface ImpliedReader {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  home: string;
  readKubeconfig(path: string): Promise<KubeRead>;
  readText(path: string): TextRead;
}

/** The flags each program may have implied, by the program's base name. */
const IMPLIED_FLAGS: Readonly<Record<string, readonly string[]>> = {
  kubectl: ['--context', '--namespace'],
  helm: ['--kube-context', '--context', '--namespace'],
  psql: ['--host', '--dbname', '--username'],
  terraform: ['--workspace'],
};

/** The implied flag names for argv's program (none for other programs). */
export function impliedFlagNames(argv: readonly string[]): readonly string[] {
  return IMPLIED_FLAGS[basename(argv[0] ?? '')] ?? [];
}

const value = (name: string): FlagName => ({ name, takesValue: true });

/**
 * What argv itself says about a flag (any of its spellings), up to `--`:
 * the last value written where it is surely a flag, and whether some
 * occurrence may be a flag or the value of the flag before it (`-c
 * --context=x`), or has no value: then the implied value is kept as well.
 */
export function typedFlag(argv: readonly string[], names: readonly string[]): { value?: string; unsure: boolean } {
  let typed: string | undefined;
  let unsure = false;
  for (let i = 1; i < argv.length && argv[i] !== '--'; i++) {
    for (const name of names) {
      const occurrence = occurrenceAt(value(name), argv, i);
      if (!occurrence) continue;
      const before = argv[i - 1]!;
      const afterBareFlag = i > 1 && before.startsWith('-') && before !== '--' && !before.includes('=');
      // An empty value (`--context=`) is no choice: client-go and libpq then fall back to the current one.
      if (afterBareFlag || !occurrence.value) unsure = true;
      else typed = occurrence.value;
      i = occurrence.end - 1;
      break;
    }
  }
  return { ...(typed !== undefined ? { value: typed } : {}), unsure };
}

/** Implied only when argv does not surely say it: nothing typed, or something typed that may not be this flag. */
const needsImplying = (argv: readonly string[], names: readonly string[]) => {
  const typed = typedFlag(argv, names);
  return typed.value === undefined || typed.unsure;
};

async function kubeWords(argv: readonly string[], needed: ReadonlySet<string>, reader: ImpliedReader, helm: boolean): Promise<ImpliedWord[]> {
  const contextNames = helm ? ['--kube-context'] : ['--context'];
  const namespaceNames = spellings(argv, '--namespace');
  const contextFlags = helm ? ['--kube-context', '--context'].filter((name) => needed.has(name)) : needed.has('--context') ? ['--context'] : [];
  const wantContext = contextFlags.length > 0 && needsImplying(argv, contextNames);
  const wantNamespace = needed.has('--namespace') && needsImplying(argv, namespaceNames) && !(helm && reader.env.HELM_NAMESPACE);
  const words: ImpliedWord[] = [];
  if (helm && needed.has('--namespace') && reader.env.HELM_NAMESPACE && needsImplying(argv, namespaceNames)) {
    words.push({ name: '--namespace', value: reader.env.HELM_NAMESPACE, source: 'HELM_NAMESPACE' });
  }
  if (!wantContext && !wantNamespace) return words;

  const unknown = (source: string, problem: string) => [
    ...(wantContext ? contextFlags.map((name) => ({ name, value: undefined, source, problem })) : []),
    ...(wantNamespace ? [{ name: '--namespace', value: undefined, source, problem }] : []),
  ];
  const typedConfig = typedFlag(argv, ['--kubeconfig']);
  if (typedConfig.unsure) return [...words, ...unknown('argv', 'argv may name another kubeconfig (--kubeconfig)')];
  const paths = typedConfig.value !== undefined ? [typedConfig.value] : kubeconfigPaths(reader.env, reader.home);
  const resolved = paths.map((path) => (isAbsolute(path) ? path : join(reader.cwd, path)));
  const reads = [];
  for (const path of resolved) reads.push({ path, read: await reader.readKubeconfig(path) });
  const merged = mergeKubeconfigs(reads);
  if (merged.problem) return [...words, ...unknown(tilde(merged.problem.path, reader.home), `cannot read ${tilde(merged.problem.path, reader.home)} (${merged.problem.reason})`)];

  const envContext = helm ? reader.env.HELM_KUBECONTEXT : undefined;
  const current = envContext ? { name: envContext, source: 'HELM_KUBECONTEXT' } : merged.currentContext && { name: merged.currentContext.name, source: tilde(merged.currentContext.path, reader.home) };
  if (wantContext && current) for (const name of contextFlags) words.push({ name, value: current.name, source: current.source });
  if (wantNamespace) {
    // The namespace of the context that will be used: the one typed, else the current one.
    const used = typedFlag(argv, contextNames).value ?? current?.name;
    const context = used === undefined ? undefined : merged.contexts.get(used);
    words.push(context?.namespace ? { name: '--namespace', value: context.namespace, source: tilde(context.path, reader.home) } : { name: '--namespace', value: 'default', source: 'kubectl default' });
  }
  return words;
}

/**
 * psql: PGHOST, PGDATABASE and PGUSER unless typed, and what a connection
 * string in argv names. Whether a word is the connection string or, say,
 * the text of `-c` is not always sure, so the environment's values are kept
 * beside it (more rules match, never fewer).
 */
function psqlWords(argv: readonly string[], needed: ReadonlySet<string>, env: ImpliedReader['env']): ImpliedWord[] {
  const words: ImpliedWord[] = [];
  for (const word of argv.slice(1)) {
    const target = pgTargetOf(word);
    if (!target) continue;
    const source = 'a connection string in argv';
    if (needed.has('--host')) for (const host of target.host ?? []) words.push({ name: '--host', value: host, source });
    if (needed.has('--dbname') && target.dbname) words.push({ name: '--dbname', value: target.dbname, source });
    if (needed.has('--username') && target.user) words.push({ name: '--username', value: target.user, source });
  }
  for (const [name, variable] of [['--host', 'PGHOST'], ['--dbname', 'PGDATABASE'], ['--username', 'PGUSER']] as const) {
    const set = env[variable];
    if (needed.has(name) && set && needsImplying(argv, spellings(argv, name))) words.push({ name, value: set, source: variable });
  }
  return words;
}

function terraformWords(argv: readonly string[], needed: ReadonlySet<string>, reader: ImpliedReader): ImpliedWord[] {
  if (!needed.has('--workspace') || !needsImplying(argv, ['--workspace', '-workspace'])) return [];
  if (reader.env.TF_WORKSPACE) return [{ name: '--workspace', value: reader.env.TF_WORKSPACE, source: 'TF_WORKSPACE' }];
  const chdir = typedFlag(argv, ['-chdir', '--chdir']);
  if (chdir.unsure) return [{ name: '--workspace', value: undefined, source: 'argv', problem: 'argv may name another folder (-chdir)' }];
  const base = chdir.value === undefined ? reader.cwd : isAbsolute(chdir.value) ? chdir.value : join(reader.cwd, chdir.value);
  const dataDir = reader.env.TF_DATA_DIR ? (isAbsolute(reader.env.TF_DATA_DIR) ? reader.env.TF_DATA_DIR : join(base, reader.env.TF_DATA_DIR)) : join(base, '.terraform');
  const file = join(dataDir, 'environment');
  const source = tilde(file, reader.home);
  const read = reader.readText(file);
  if ('problem' in read) return [{ name: '--workspace', value: undefined, source, problem: `cannot read ${source} (${read.problem})` }];
  // No file: terraform's own default workspace.
  return [{ name: '--workspace', value: 'missing' in read ? 'default' : read.text.trim() || 'default', source: 'missing' in read ? 'terraform default' : source }];
}

/**
 * The implied words for argv, limited to the flag names some rule uses
 * (`needed`): nothing is read for a flag no rule asks about.
 */
export async function impliedWords(argv: readonly string[], needed: ReadonlySet<string>, reader: ImpliedReader): Promise<ImpliedWord[]> {
  const program = basename(argv[0] ?? '');
  if (program === 'kubectl' || program === 'helm') return kubeWords(argv, needed, reader, program === 'helm');
  if (program === 'psql') return psqlWords(argv, needed, reader.env);
  if (program === 'terraform') return terraformWords(argv, needed, reader);
  return [];
}

/** One line for explain and the audit log: `--context=prod-eu from ~/.kube/config`. */
export function describeImplied(word: ImpliedWord): string {
  return word.value === undefined ? `${word.name}=? (${word.problem ?? 'unknown'}; rules on ${word.name} apply)` : `${word.name}=${word.value} from ${word.source}`;
}
