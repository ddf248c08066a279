/**
 * kubectl's argv as kubectl itself reads it: cobra finds the command (its
 * `stripFlags` / `argsMinusFirstX`), then pflag parses that command's flags
 * — `--f=v`, `--f v`, `-n v`, `-nv`, `-n=v`, clusters of short flags whose
 * last one takes a value (`-wn v`), `_` read as `-` in long names, the last
 * value winning, nothing after `--`. Which flags take a value comes from the
 * real kubectl's flag table (kubectl-flags.ts, generated). Anything kubectl
 * would refuse or hand to a plugin — an unknown flag or command, a missing
 * value — leaves the target unknown (fail closed). Pure.
 *
 * @see https://github.com/spf13/pflag/blob/master/flag.go (parseLongArg, parseSingleShortArg)
 * @see https://github.com/spf13/cobra/blob/main/command.go (stripFlags, argsMinusFirstX)
 */
import { KUBECTL_COMMANDS, KUBECTL_GLOBAL_FLAGS } from './kubectl-flags.ts';

/** The global flags that say kubectl's target. */
export type KubeTargetFlag = 'context' | 'cluster' | 'server' | 'namespace' | 'kubeconfig';
const TARGET_FLAGS: ReadonlySet<string> = new Set<KubeTargetFlag>(['context', 'cluster', 'server', 'namespace', 'kubeconfig']);

/** What argv (and, for helm, its environment) says about the target: a value and where it came from, per flag. */
export interface KubeArgs {
  /** `-A` given (and not undone): the command reaches every namespace, so the namespace is no one value. */
  allNamespaces?: boolean;
  flags: Partial<Record<KubeTargetFlag, { value: string; source: string }>>;
  /** Why argv cannot be read: every value is unknown. */
  problem?: string;
  /** Flags whose typed value cannot be known (helm's argv read without its flag table): unknown. */
  unsure?: ReadonlySet<KubeTargetFlag>;
}

export interface KubectlArgs {
  /** The command path (`config set-context`); empty for kubectl alone. */
  command: string;
  /** The target flags as pflag leaves them (the last value written). */
  flags: Partial<Record<KubeTargetFlag, string>>;
  /** The command's `-A`/`--all-namespaces`, as written last: it reaches every namespace. */
  allNamespaces?: string;
  /** Why argv cannot be read as kubectl reads it: the target is then unknown. */
  problem?: string;
}

interface Flag {
  name: string;
  value: boolean;
  /** A global flag (its value names the target when it is one of TARGET_FLAGS). */
  global: boolean;
}

interface FlagSet {
  long: Map<string, Flag>;
  short: Map<string, Flag>;
}

const HELP: Flag = { name: 'help', value: false, global: false };

function addFlags(set: FlagSet, encoded: string, global: boolean): void {
  for (const item of encoded.split(' ')) {
    if (item === '') continue;
    const value = item.endsWith('=');
    const [name, short] = (value ? item.slice(0, -1) : item).split(':') as [string, string | undefined];
    // A command's own flag hides the global one of the same name (cobra adds a persistent flag only when the name is free).
    if (set.long.has(name)) continue;
    const flag = { name, value, global };
    set.long.set(name, flag);
    if (short) set.short.set(short, flag);
  }
}

const sets = new Map<string, FlagSet>();

/** The flags a command parses: its own, then the global ones, and cobra's help. */
function flagSet(command: string): FlagSet {
  let set = sets.get(command);
  if (!set) {
    set = { long: new Map([['help', HELP]]), short: new Map([['h', HELP]]) };
    addFlags(set, command === '' ? '' : (KUBECTL_COMMANDS[command]?.flags ?? ''), false);
    addFlags(set, KUBECTL_GLOBAL_FLAGS, true);
    sets.set(command, set);
  }
  return set;
}

let children: Map<string, Map<string, string>> | undefined;

/** A command's subcommand by name or alias. */
function child(command: string, word: string): string | undefined {
  if (!children) {
    children = new Map();
    for (const [path, entry] of Object.entries(KUBECTL_COMMANDS)) {
      const at = path.lastIndexOf(' ');
      const parent = at < 0 ? '' : path.slice(0, at);
      const names = [path.slice(at + 1), ...(entry.aliases ? entry.aliases.split(' ') : [])];
      const map = children.get(parent) ?? new Map<string, string>();
      for (const name of names) if (!map.has(name)) map.set(name, path);
      children.set(parent, map);
    }
  }
  return children.get(command)?.get(word);
}

/** kubectl's flag-name normaliser (WordSepNormalizeFunc): `--all_namespaces` is `--all-namespaces`. */
const normalize = (name: string) => name.replaceAll('_', '-');

/** Whether a bare `--name` / `-n` takes the next word, as cobra's command search reads it (an unknown flag does). */
function takesNext(word: string, set: FlagSet): boolean {
  if (word.includes('=')) return false;
  if (word.startsWith('--')) return set.long.get(normalize(word.slice(2)))?.value ?? true;
  return word.length === 2 && word[0] === '-' && (set.short.get(word[1]!)?.value ?? true);
}

/** cobra's stripFlags: the words that are not flags or their values, up to `--`. */
function positional(args: readonly string[], set: FlagSet): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (word === '--') break;
    if (takesNext(word, set)) i++;
    else if (word !== '' && !word.startsWith('-')) out.push(word);
  }
  return out;
}

/** cobra's argsMinusFirstX: args without the first positional occurrence of `name`. */
function without(args: readonly string[], name: string, set: FlagSet): string[] {
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (word === '--') break;
    if (takesNext(word, set)) i++;
    else if (!word.startsWith('-') && word === name) return [...args.slice(0, i), ...args.slice(i + 1)];
  }
  return [...args];
}

/** Reads kubectl's argv: the command, and the target flags as pflag sets them. */
export function readKubectlArgs(argv: readonly string[]): KubectlArgs {
  let command = '';
  let args = argv.slice(1);
  for (;;) {
    const set = flagSet(command);
    const words = positional(args, set);
    if (words.length === 0) break;
    const next = child(command, words[0]!);
    if (next === undefined) {
      // kubectl runs a plugin (`kubectl-NAME`) or refuses a first word that is no command of its own.
      if (command === '') return { command, flags: {}, problem: `"${words[0]}" is not a kubectl command (a plugin's target is unknown)` };
      break;
    }
    args = without(args, words[0]!, set);
    command = next;
  }
  return parseFlags(command, args);
}

/** pflag's parse of the command's flags (interspersed with its arguments). */
function parseFlags(command: string, args: readonly string[]): KubectlArgs {
  const set = flagSet(command);
  const flags: KubectlArgs['flags'] = {};
  const fail = (problem: string): KubectlArgs => ({ command, flags, problem });
  let allNamespaces: string | undefined;
  const assign = (flag: Flag, value: string) => {
    if (flag.global && TARGET_FLAGS.has(flag.name)) flags[flag.name as KubeTargetFlag] = value;
    if (!flag.global && flag.name === 'all-namespaces') allNamespaces = value;
  };
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (word.length < 2 || word[0] !== '-') continue;
    if (word === '--') break;
    if (word[1] === '-') {
      const body = word.slice(2);
      if (body[0] === '-' || body[0] === '=') return fail(`kubectl refuses the flag syntax "${word}"`);
      const eq = body.indexOf('=');
      const name = normalize(eq < 0 ? body : body.slice(0, eq));
      const flag = set.long.get(name);
      if (!flag) return fail(`unknown flag --${name} for kubectl ${command}`.trimEnd());
      if (eq >= 0) assign(flag, body.slice(eq + 1));
      else if (!flag.value) assign(flag, 'true');
      else if (i + 1 < args.length) assign(flag, args[++i]!);
      else return fail(`--${name} has no value`);
      continue;
    }
    let shorts = word.slice(1);
    while (shorts.length > 0) {
      // pflag passes over `-test.*` (Go test flags).
      if (shorts.startsWith('test.')) break;
      const flag = set.short.get(shorts[0]!);
      if (!flag) return fail(`unknown flag -${shorts[0]} for kubectl ${command}`.trimEnd());
      if (shorts.length > 2 && shorts[1] === '=') {
        assign(flag, shorts.slice(2));
        shorts = '';
      } else if (!flag.value) {
        assign(flag, 'true');
        shorts = shorts.slice(1);
      } else if (shorts.length > 1) {
        assign(flag, shorts.slice(1));
        shorts = '';
      } else if (i + 1 < args.length) {
        assign(flag, args[++i]!);
        shorts = '';
      } else return fail(`-${shorts[0]} has no value`);
    }
  }
  return { command, flags, ...(allNamespaces !== undefined ? { allNamespaces } : {}) };
}
