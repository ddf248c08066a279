/**
 * The fast path's argv parser, built from the command table: `guard run`,
 * `guard token` and named commands with a valid session never load
 * commander (docs/performance.md).
 */
import { builtinWords, COMMANDS, GLOBAL_OPTIONS, type CommandDef, type OptionDef } from './command-table.ts';
import type { RunOptions } from './commands/run.ts';

export interface FastPath {
  command: CommandDef | 'named';
  /** The words after the command (run's COMMAND…, a named command's words) or its fixed arguments. */
  args: string[];
  options: RunOptions & Record<string, unknown>;
}

interface FlagSpec {
  key: string;
  takesValue: boolean;
  /** The value a flag without a value sets (`--no-prompt` → false). */
  value: boolean;
}

/** `-y, --yes` → {-y, --yes} → key `yes`; `--tier <tier>` takes a value; `--no-x` sets x to false. */
function flagSpecs(defs: readonly OptionDef[]): Map<string, FlagSpec> {
  const specs = new Map<string, FlagSpec>();
  for (const def of defs) {
    const names = def.flags.split(/[ ,]+/).filter((word) => word.startsWith('-'));
    const long = names.find((name) => name.startsWith('--')) ?? names[0]!;
    const negated = long.startsWith('--no-');
    const key = long.replace(/^--(no-)?/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    for (const name of names) specs.set(name, { key, takesValue: def.flags.includes('<'), value: !negated });
  }
  return specs;
}

const FAST_COMMANDS = new Map(COMMANDS.filter((command) => command.fast).map((command) => [command.name, command]));
const RUN_COMMAND = FAST_COMMANDS.get('run')!;
const BUILTIN_WORDS = new Set(builtinWords());

/** Each option list's specs, worked out on first use (most runs carry no flag at all). */
const specsOf = new Map<readonly OptionDef[], Map<string, FlagSpec>>();
function cachedSpecs(defs: readonly OptionDef[]): Map<string, FlagSpec> {
  let specs = specsOf.get(defs);
  if (!specs) specsOf.set(defs, (specs = flagSpecs(defs)));
  return specs;
}
const NO_OPTIONS: readonly OptionDef[] = [];

/**
 * The fast path's parser, from the command table: fast commands (run, token)
 * and named commands from config, with global options before or after the
 * command's name. Anything else (or anything odd) goes to commander, which
 * explains usage errors.
 */
export function parseFastPath(argv: readonly string[]): FastPath | undefined {
  const options: Record<string, unknown> = {};
  const seen: string[] = [];
  let command: CommandDef | undefined;
  let args: string[] | undefined;
  for (let i = 0; i < argv.length && !args; i++) {
    const word = argv[i]!;
    if (word === '--') {
      if (command !== RUN_COMMAND) return undefined;
      args = argv.slice(i + 1);
    } else if (!word.startsWith('-') || word === '-') {
      if (command) {
        const declared = command.args ?? [];
        if (declared.length === 0) return undefined; // token takes no arguments
        args = argv.slice(i);
        // Fixed arguments (git-credential's action): exactly as many, from their choices; else commander explains.
        if (!declared.some((arg) => arg.syntax.includes('...'))) {
          if (args.length !== declared.length || declared.some((arg, n) => arg.choices && !arg.choices.includes(args![n]!))) return undefined;
        }
      } else if (FAST_COMMANDS.has(word)) {
        command = FAST_COMMANDS.get(word);
      } else if (BUILTIN_WORDS.has(word)) {
        return undefined;
      } else {
        args = argv.slice(i); // a named command from config
      }
    } else {
      const [name, inline] = word.split(/=(.*)/s) as [string, string | undefined];
      const spec = cachedSpecs(GLOBAL_OPTIONS).get(name) ?? cachedSpecs((command ?? RUN_COMMAND).options ?? NO_OPTIONS).get(name);
      if (!spec) return undefined;
      if (spec.takesValue) {
        const value = inline ?? argv[++i];
        if (value === undefined) return undefined;
        options[spec.key] = value;
      } else {
        if (inline !== undefined) return undefined;
        options[spec.key] = spec.value;
      }
      seen.push(name);
    }
  }
  const target = command ?? (args ? RUN_COMMAND : undefined);
  if (!target) return undefined;
  // Options seen before the command's name must be the command's own (or global).
  if (seen.some((name) => !cachedSpecs(GLOBAL_OPTIONS).has(name) && !cachedSpecs(target.options ?? NO_OPTIONS).has(name))) return undefined;
  if (command && (command.args ?? []).some((arg) => arg.syntax.startsWith('<')) && !args) return undefined; // a required argument is missing
  return { command: command ?? 'named', args: args ?? [], options };
}
