/**
 * What the completion scripts know about guard, read from the commander
 * program itself (so a new command or option is completed as soon as it is
 * registered): the command tree, each command's options and arguments, and
 * what kind of value each takes. Config-dependent words (profiles, tiers,
 * named commands) are never baked in: the scripts ask
 * `guard completion --list …` for them at completion time, so the checked-in
 * scripts are deterministic and still follow the config.
 */
import type { Argument, Command, Option } from 'commander';

/** What a value or positional argument is completed with. */
export type ValueKind =
  | { kind: 'file' }
  | { kind: 'profile' }
  | { kind: 'tier' }
  /** A context of the kubeconfig `guard kubeconfig` edits (`--context`). */
  | { kind: 'context' }
  /** A program and its arguments (`guard run -- …`): completed as a command line of its own. */
  | { kind: 'command' }
  | { kind: 'choices'; choices: string[] }
  | { kind: 'text' };

export interface OptionSpec {
  /** Every spelling: `-v`, `--verbose`. */
  flags: string[];
  description: string;
  /** Set when the option takes a value. */
  value?: ValueKind;
}

export interface ArgumentSpec {
  name: string;
  variadic: boolean;
  value: ValueKind;
}

export interface CommandSpec {
  name: string;
  /** Words from the root: [] for guard itself, ['config', 'check'] for `guard config check`. */
  path: string[];
  description: string;
  /** This command's own options; options of its ancestors apply too (commander reads them anywhere). */
  options: OptionSpec[];
  args: ArgumentSpec[];
  commands: CommandSpec[];
}

/** Walks a commander program (visible commands and options only, as in --help). */
export function describeProgram(program: Command): CommandSpec {
  return describeCommand(program, [], undefined);
}

function describeCommand(command: Command, path: string[], parent: Command | undefined): CommandSpec {
  const help = command.createHelp();
  const children = help.visibleCommands(command);
  return {
    name: command.name(),
    path,
    description: oneLine(command.summary() || command.description()),
    options: help.visibleOptions(command).map(describeOption),
    args: command.registeredArguments.map((argument) => describeArgument(command, argument, parent)),
    commands: children.map((child) => describeCommand(child, [...path, child.name()], command)),
  };
}

function describeOption(option: Option): OptionSpec {
  const flags = [option.short, option.long].filter((flag): flag is string => Boolean(flag));
  const takesValue = option.required || option.optional;
  return { flags, description: oneLine(option.description), ...(takesValue ? { value: optionValue(option) } : {}) };
}

function optionValue(option: Option): ValueKind {
  if (option.argChoices) return { kind: 'choices', choices: [...option.argChoices] };
  if (option.long === '--profile') return { kind: 'profile' };
  if (option.long === '--tier') return { kind: 'tier' };
  if (option.long === '--context') return { kind: 'context' };
  if (/<(file|path)(\.\.\.)?>|\[file\]/.test(option.flags)) return { kind: 'file' }; // files or folders: --team <path...>
  return { kind: 'text' };
}

function describeArgument(owner: Command, argument: Argument, parent: Command | undefined): ArgumentSpec {
  const name = argument.name();
  let value: ValueKind;
  if (argument.argChoices) value = { kind: 'choices', choices: [...argument.argChoices] };
  else if (owner.name() === 'help' && parent) {
    // `guard help [command]` (commander's implicit help command, which has no .parent): it explains its parent's commands.
    value = { kind: 'choices', choices: parent.createHelp().visibleCommands(parent).map((c) => c.name()).filter((c) => c !== 'help') };
  } else if (name === 'file') value = { kind: 'file' };
  else if (name === 'command' && argument.variadic) value = { kind: 'command' };
  else value = { kind: 'text' };
  return { name, variadic: argument.variadic, value };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Every command in the tree, parents before children. */
export function allCommands(root: CommandSpec): CommandSpec[] {
  return [root, ...root.commands.flatMap(allCommands)];
}

/** The options that apply at a command: its own and its ancestors' (nearest first). */
export function optionsAt(root: CommandSpec, command: CommandSpec): OptionSpec[] {
  const chain: CommandSpec[] = [];
  let node: CommandSpec | undefined = root;
  chain.push(root);
  for (const word of command.path) {
    node = node?.commands.find((child) => child.name === word);
    if (node) chain.push(node);
  }
  const seen = new Set<string>();
  const options: OptionSpec[] = [];
  for (const spec of chain.reverse()) {
    for (const option of spec.options) {
      const flags = option.flags.filter((flag) => !seen.has(flag));
      if (flags.length === 0) continue;
      flags.forEach((flag) => seen.add(flag));
      options.push({ ...option, flags });
    }
  }
  return options;
}

/** A stable text key for a command path, as the scripts use it: '' for the root, 'config check' below. */
export function pathKey(command: CommandSpec): string {
  return command.path.join(' ');
}

/**
 * Every option that takes a value, by flag, over the whole tree. The scripts
 * skip an option's value when they walk the command line, whatever command
 * it follows, so a flag must mean the same thing everywhere; a program that
 * breaks this is a bug the completion test reports.
 */
export function valueOptions(root: CommandSpec): Map<string, ValueKind> {
  const seen = new Map<string, ValueKind | null>();
  for (const command of allCommands(root)) {
    for (const option of command.options) {
      for (const flag of option.flags) {
        const now = option.value ?? null;
        if (seen.has(flag) && JSON.stringify(seen.get(flag)) !== JSON.stringify(now)) throw new Error(`completion: ${flag} takes different values in different commands`);
        seen.set(flag, now);
      }
    }
  }
  const found = new Map<string, ValueKind>();
  for (const [flag, value] of seen) if (value) found.set(flag, value);
  return found;
}

/** The short name the scripts switch on: `file`, `profile`, `tier`, `command`, `text`, or `choices:N` (N: argument index). */
export function kindName(value: ValueKind, index = 0): string {
  return value.kind === 'choices' ? `choices:${index}` : value.kind;
}
