/**
 * The full commander program, built from the command table, with its help
 * and examples. Loaded only when the fast path in main.ts cannot answer.
 */
import { Argument, Command, CommanderError, Option } from 'commander';
import type { Deps } from './deps.ts';
import { systemDeps } from './system-deps.ts';
import { reportError } from './report-error.ts';
import { escapeControl } from './util/text.ts';
import { VERSION } from './version.ts';
import type { GlobalOptions } from './commands/context.ts';
import { COMMANDS, GLOBAL_OPTIONS, JSON_OPTION, PROGRAM, type ArgumentDef, type CommandDef, type OptionDef } from './command-table.ts';
import { GuardError } from './errors.ts';
import { namedHelpFor } from './commands/named-help.ts';

type Action = (deps: Deps, globals: GlobalOptions) => Promise<number>;

function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}

/** commander's error text as guard's one line (SPEC §5), with the next step. */
function oneLineError(text: string, next: string): string {
  return `guard: ${text.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')} ${next}\n`;
}

/** Was `flag` typed after the wrapped command's first word (`guard explain kubectl … --context prod`), not among guard's own options? */
function typedAfterCommand(argv: readonly string[], def: CommandDef, flag: string): boolean {
  const takesValue = new Set([...GLOBAL_OPTIONS, ...(def.options ?? [])].filter((o) => o.flags.includes('<')).flatMap((o) => o.flags.split(/[ ,]+/).filter((w) => w.startsWith('-'))));
  let seenName = false;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (!seenName) seenName = word === def.name;
    else if (word === flag || word.startsWith(`${flag}=`)) return false;
    else if (takesValue.has(word)) i++;
    else if (!word.startsWith('-')) return argv.slice(i + 1).some((later) => later === flag || later.startsWith(`${flag}=`));
  }
  return false;
}

function toOption(def: OptionDef): Option {
  const option = new Option(def.flags, def.description);
  if (def.default !== undefined) option.default(def.default);
  if (def.choices) option.choices(def.choices);
  if (def.required) option.makeOptionMandatory();
  if (def.hidden) option.hideHelp();
  return option;
}

function toArgument(def: ArgumentDef): Argument {
  const argument = new Argument(def.syntax, def.description);
  if (def.choices) argument.choices(def.choices);
  return argument;
}

/** The commander program, built from the command table (command-table.ts); `argv` is what it will parse (for its error hints). */
export function buildProgram(run: (action: Action) => Promise<void>, argv: readonly string[] = []): Command {
  const program = new Command('guard')
    .description(PROGRAM.description)
    .version(VERSION, '--version', 'print the version');
  for (const def of GLOBAL_OPTIONS) program.addOption(toOption(def));
  // --json is global too (`guard --json status`), hidden at the top: each command that prints data lists it.
  program.addOption(toOption({ ...JSON_OPTION, hidden: true }));
  program
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    .addHelpText('after', `${examples([...PROGRAM.examples])}
Run guard alone for your session at a glance. Data (--json, tokens) goes to
stdout, messages to stderr; colour follows NO_COLOR / FORCE_COLOR.

Exit codes:
${PROGRAM.exitStatus.map(([code, meaning]) => `  ${code.padEnd(6)} ${meaning}`).join('\n')}
`);
  // Set before any subcommand is added: commander copies these settings into each one.
  program.exitOverride();
  program.configureOutput({
    writeOut: (text) => process.stdout.write(text),
    writeErr: (text) => process.stderr.write(text),
    // One line, like every guard error (SPEC §5), with the next step.
    outputError: (text, write) => write(oneLineError(text, '(see guard --help)')),
  });

  const byName = new Map<string, Command>([['', program]]);
  for (const def of COMMANDS) {
    const words = def.name.split(' ');
    const parent = byName.get(words.slice(0, -1).join(' '))!;
    const command = parent.command(words.at(-1)!).description(def.summary);
    for (const argument of def.args ?? []) command.addArgument(toArgument(argument));
    for (const option of def.options ?? []) command.addOption(toOption(option));
    if (def.args?.[0]?.syntax === '<command...>') {
      // `guard explain kubectl get pods --context prod`: the wrapped command's flags need a `--` before it.
      command.configureOutput({
        outputError: (text, write) => {
          const flag = /unknown option '([^']*)'/.exec(text)?.[1];
          const afterCommand = flag !== undefined && typedAfterCommand(argv, def, flag);
          write(oneLineError(text, afterCommand ? `(options after the command are the command's own: put -- before it, as in guard ${def.name} -- kubectl get pods --context prod)` : '(see guard --help)'));
        },
      });
    }
    if (def.examples) command.addHelpText('after', `${examples(def.examples)}${def.help ? `\n${def.help}` : ''}`);
    const runDef = def.run;
    if (runDef) {
      const takesJson = (def.options ?? []).some((option) => option.flags === JSON_OPTION.flags);
      command.action((...values: unknown[]) => {
        const args = values.slice(0, def.args?.length ?? 0) as Array<string | string[] | undefined>;
        const opts = values[def.args?.length ?? 0] as Record<string, unknown>;
        return run(async (deps, globals) => {
          if (globals.json && !takesJson) throw new GuardError('usage', `--json is not available for guard ${def.name} (see guard ${def.name} --help)`);
          return runDef(deps, { args, options: { ...globals, ...opts }, program });
        });
      });
    }
    byName.set(def.name, command);
  }
  return program;
}

/** The global options when argv holds nothing else (then `guard` shows its overview), else undefined. */
function onlyGlobalOptions(argv: readonly string[]): GlobalOptions | undefined {
  const options: GlobalOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i]!.split(/=(.*)/s);
    if (name === '-v' || name === '--verbose') options.verbose = true;
    else if (name === '-q' || name === '--quiet') options.quiet = true;
    else if (name === '--config' || name === '--profile') {
      const value = inline ?? argv[++i];
      if (value === undefined) return undefined;
      options[name === '--config' ? 'config' : 'profile'] = value;
    } else return undefined;
    if (inline !== undefined && name !== '--config' && name !== '--profile') return undefined;
  }
  return options;
}

export async function runCli(argv: string[]): Promise<number> {
  let code = 0;
  let deps: Deps | undefined;
  const program = buildProgram(async (action) => {
    const globals = program.opts<GlobalOptions>();
    deps = systemDeps({ configFlag: globals.config, verbose: globals.verbose, quiet: globals.quiet });
    try {
      code = await action(deps, globals);
    } catch (error) {
      code = reportError(deps, error);
    }
  }, argv);
  const overviewOptions = onlyGlobalOptions(argv);
  if (overviewOptions) {
    // `guard` alone: the session at a glance instead of the full help.
    const overviewDeps = systemDeps({ configFlag: overviewOptions.config, verbose: overviewOptions.verbose, quiet: overviewOptions.quiet });
    try {
      return await (await import('./commands/overview.ts')).overview(overviewDeps, overviewOptions);
    } catch (error) {
      return reportError(overviewDeps, error);
    }
  }
  if (argv.includes('--help') || argv.includes('-h') || argv.includes('help')) {
    const named = await namedCommandsHelp(program, argv);
    if (named !== undefined) {
      process.stdout.write(named);
      return 0;
    }
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // `guard config` without a subcommand shows help but is still a usage error (commander's exitCode 1).
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || (error.code === 'commander.help' && error.exitCode === 0)) return 0;
      return 64;
    }
    throw error;
  }
  return code;
}

/**
 * Help and named commands (best effort: no config, no named help). `guard
 * deploy --help` (or `guard help deploy`) returns the named command's own
 * help; otherwise `guard --help` gets the list of the configuration's
 * commands, with their descriptions, and undefined is returned.
 */
async function namedCommandsHelp(program: Command, argv: string[]): Promise<string | undefined> {
  const configAt = argv.findIndex((word) => word === '--config' || word.startsWith('--config='));
  const configFlag = configAt < 0 ? undefined : argv[configAt]!.startsWith('--config=') ? argv[configAt]!.slice('--config='.length) : argv[configAt + 1];
  const deps = systemDeps({ configFlag, quiet: true });
  let config: import('./policy/types.ts').Config;
  try {
    const { loadLayers } = await import('./commands/context.ts');
    config = (await loadLayers(deps, {}, { network: false })).loaded.config;
  } catch {
    return undefined;
  }
  const words = withoutGlobalOptions(argv);
  const asked = words[0] === 'help' ? namedHelpFor(config, words.slice(1), { bare: true }) : namedHelpFor(config, words);
  if (asked !== undefined) return asked;
  const commands = [...config.commands.values()];
  if (commands.length === 0) return undefined;
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  const lines = commands.map((c) => `  guard ${escapeControl(c.name).padEnd(width)}${escapeControl(c.description ?? '')}`);
  program.addHelpText('after', `\nYour commands (from the configuration):\n${lines.join('\n')}\n`);
  return undefined;
}

/** The words of argv without the global options (and their values) before them. */
function withoutGlobalOptions(argv: readonly string[]): string[] {
  const valued = new Set(GLOBAL_OPTIONS.filter((def) => def.flags.includes('<')).flatMap((def) => def.flags.split(/[ ,]+/).filter((word) => word.startsWith('-'))));
  const flags = new Set([...GLOBAL_OPTIONS, JSON_OPTION].flatMap((def) => def.flags.split(/[ ,]+/).filter((word) => word.startsWith('-'))));
  let i = 0;
  while (i < argv.length && flags.has(argv[i]!.split('=')[0]!)) i += valued.has(argv[i]!) ? 2 : 1;
  return argv.slice(i);
}
