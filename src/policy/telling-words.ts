/**
 * The few words that say the most about a command, for a person who must
 * approve it on a phone with 20 characters to read (SPEC §11's binding
 * message): what it does and to what. `kubectl delete pod x --context
 * prod-eu` → `delete prod-eu`; `psql -h prod-db -d app -c "DROP …"` →
 * `DROP prod-db app`; `terraform destroy` in workspace prod → `destroy
 * prod`; a named command → its words; a credential plugin → its tool and
 * host. Most telling first: a message cut short keeps the verb. Pure.
 */
import { basename } from 'node:path';
import { spellings } from './flag-aliases.ts';
import { typedFlag } from './implied/implied-words.ts';
import { readKubectlArgs } from './implied/kubectl-argv.ts';
import { getoptLong } from './implied/getopt-long.ts';
import { PSQL_LONG_OPTIONS, PSQL_OPTSTRING } from './implied/psql-options.ts';
import type { ImpliedFlag } from './matcher.ts';

/** helm's global flags that take a value as the next word (`--kube-context prod`): the word after them is no verb. */
const HELM_VALUE_FLAGS: ReadonlySet<string> = new Set([
  '--burst-limit', '--kube-apiserver', '--kube-as-group', '--kube-as-user', '--kube-ca-file', '--kube-context', '--kube-tls-server-name', '--kube-token',
  '--kubeconfig', '--namespace', '-n', '--qps', '--registry-config', '--repository-cache', '--repository-config',
]);

/** The first word after the program that is neither a flag nor a flag's value. */
function firstOperand(argv: readonly string[], valueFlags: ReadonlySet<string> = new Set()): string | undefined {
  for (let i = 1; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') return argv[i + 1];
    if (!word.startsWith('-') || word === '-') return word;
    if (!word.includes('=') && valueFlags.has(word)) i++;
  }
  return undefined;
}

/** The host of a URL (`https://api.prod.example.com:6443` → `api.prod.example.com`), or the word itself. */
function hostOf(word: string | undefined): string | undefined {
  if (!word) return undefined;
  try {
    return new URL(word).hostname || word;
  } catch {
    return word;
  }
}

export interface CommandShape {
  /** The argv that will run; `CALLER SERVER` for a credential plugin. */
  argv: readonly string[];
  /** What the program takes from its environment (the kubeconfig's context…), as read. */
  implied?: readonly ImpliedFlag[];
  /** The words typed after `guard`, for a named command. */
  named?: readonly string[];
}

/** The telling words of a command, most telling first; empty strings and unknowns left out. */
export function tellingWords({ argv, implied = [], named }: CommandShape): string[] {
  if (named) return named.slice(0, 3);
  const program = basename(argv[0] ?? '');
  const resolved = (name: string) => implied.find((word) => word.name === name && word.value !== undefined)?.value;
  // A flag as the tool reads it: typed (any spelling) wins over implied.
  const flag = (name: string) => typedFlag(argv, spellings(argv, name)).value ?? resolved(name);
  let words: Array<string | undefined>;
  if (program === 'kube-credential' || program === 'git-credential') words = [program.split('-')[0], hostOf(argv[1])];
  else if (program === 'kubectl') words = kubectlWords(argv, resolved);
  else if (program === 'helm') words = [firstOperand(argv, HELM_VALUE_FLAGS), flag('--kube-context') ?? flag('--context'), flag('--namespace')];
  else if (program === 'psql') words = psqlWords(argv, resolved);
  else if (program === 'terraform') words = [firstOperand(argv), flag('--workspace')];
  else words = [program, firstOperand(argv)];
  return words.filter((word): word is string => typeof word === 'string' && word !== '');
}

/**
 * kubectl's verb and target as kubectl reads argv (pflag, its own flag
 * table): the server or cluster a command is sent to wins over the context
 * that only lends it a user (`kubectl -s https://prod… delete` in a dev
 * context is a delete on prod).
 */
function kubectlWords(argv: readonly string[], resolved: (name: string) => string | undefined): Array<string | undefined> {
  const args = readKubectlArgs(argv);
  const verb = args.command.split(' ')[0] || firstOperand(argv);
  const target = hostOf(args.flags.server) ?? args.flags.cluster ?? args.flags.context ?? resolved('--context') ?? hostOf(resolved('--server'));
  return [verb, target, args.flags.namespace ?? resolved('--namespace')];
}

/** psql has no verb: what `-c` runs (the last one, read as psql's getopt reads argv), else psql itself; then libpq's host and database. */
function psqlWords(argv: readonly string[], resolved: (name: string) => string | undefined): Array<string | undefined> {
  const options = getoptLong(argv.slice(1), PSQL_OPTSTRING, PSQL_LONG_OPTIONS, false).options;
  const last = (key: string) => options.filter((option) => option.key === key).at(-1)?.value;
  const command = last('c')?.trim().split(/\s+/)[0];
  return [command || 'psql', resolved('--host') ?? last('h'), resolved('--dbname') ?? last('d')];
}
