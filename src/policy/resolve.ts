/**
 * Resolves an invocation against the merged config: which rules match, the
 * effective tier and limits, the profile, and what goes into the child's
 * environment. Pure.
 */
import { basename } from 'node:path';
import { abbreviatesLongFlags, flagAliases } from './flag-aliases.ts';
import { compilePattern, matchPattern, WORD_CASELESS, WORD_UNKNOWN, type ImpliedFlag, type ProgramFacts } from './matcher.ts';
import { ruleCoversCredential } from './kube-route.ts';
import { strictest } from './merge.ts';
import type { Config, Limits, NamedCommand, Narrowing, Origin, Profile, Rule, Tier } from './types.ts';
import { GuardError } from '../errors.ts';
import { expandArgv } from './template.ts';

export interface Invocation {
  /** What the user typed after `guard` (named command) or after `--` (run). */
  invoked: string[];
  /** The argv that will run. */
  argv: string[];
  command?: NamedCommand;
  /** What the program of `argv` takes from its environment (SPEC §2, implied words); matched like typed flags. */
  implied?: readonly ImpliedFlag[];
  /** Other spellings of the same target, with marks per word (a URL whose path is unknown: WORD_UNKNOWN on `https://host/`). */
  forms?: ReadonlyArray<{ words: string[]; marks: Uint8Array }>;
}

export interface MatchedTier {
  tier: string;
  /** Why it applies: a rule, the named command, its `when`, the default, or --tier. */
  via: string;
  origin?: Origin;
}

export interface Resolution {
  profile: Profile;
  /** The effective tier: the matching tier with the shortest idle (SPEC §8); among equals, the strictest (see namedTier). */
  tier: string;
  matched: MatchedTier[];
  rules: Rule[];
  limits: Limits;
  /** env entries to inject, templates not yet expanded. */
  env: Record<string, string>;
  narrowing: Narrowing;
  /** For messages and the audit log: the named command or the program's base name. */
  label: string;
}

/** Finds the named command an argument list starts with (the longest name wins: `db connect` over `db`). */
export function findNamedCommand(config: Config, args: readonly string[]): { command: NamedCommand; rest: string[] } | undefined {
  let best: NamedCommand | undefined;
  for (const command of config.commands.values()) {
    const words = command.name.split(' ');
    if (words.length <= args.length && words.every((word, i) => args[i] === word)) {
      if (!best || words.length > best.name.split(' ').length) best = command;
    }
  }
  return best && { command: best, rest: args.slice(best.name.split(' ').length) };
}

/** Do the words after a named command's name ask for its help (`guard deploy --help`, `-h`)? */
export function asksForHelp(rest: readonly string[]): boolean {
  return rest[0] === '--help' || rest[0] === '-h';
}

/**
 * What a named command runs for the words typed after `guard` (its name and
 * arguments). A `--` right after the name ends guard's words and is not the
 * command's (`guard deploy -- --help` passes `--help`); `invoked` is the
 * words without it, so `when` patterns match however the arguments came.
 */
export function namedInvocation(config: Config, args: readonly string[], env: Readonly<Record<string, string | undefined>>): (Invocation & { command: NamedCommand }) | undefined {
  const found = findNamedCommand(config, args);
  if (!found) return undefined;
  const rest = found.rest[0] === '--' ? found.rest.slice(1) : found.rest;
  return { invoked: [...found.command.name.split(' '), ...rest], argv: expandArgv(found.command.run, { args: rest, env }), command: found.command };
}

/** Forms of an argv that rules are matched against: as given, and with the program's base name. */
function argvForms(argv: readonly string[]): string[][] {
  const forms = [[...argv]];
  if (argv[0] && argv[0].includes('/')) forms.push([basename(argv[0]), ...argv.slice(1)]);
  return forms;
}

/**
 * The typed words with implied words added after them, each as one
 * `--flag=value` word (SPEC §2 v3: an implied word counts exactly as if
 * typed): all of them together, and — when there are several — each alone,
 * so that a rule like `psql *prod*` is not dodged by an unrelated implied
 * word standing beside the one it names (fail closed: more forms, more rules).
 */
function withImpliedAdded(argv: readonly string[], implied: readonly ImpliedFlag[]): Array<{ words: string[]; marks: Uint8Array }> {
  const add = (words: readonly ImpliedFlag[]) => ({
    words: [...argv, ...words.map((word) => `${word.name}=${word.value ?? ''}`)],
    marks: Uint8Array.from([...argv.map(() => 0), ...words.map((word) => (word.value === undefined ? WORD_UNKNOWN : 0) | (word.caseless ? WORD_CASELESS : 0))]),
  });
  if (implied.length === 0) return [];
  return implied.length === 1 ? [add(implied)] : [add(implied), ...implied.map((word) => add([word]))];
}

export function matchRules(config: Config, invocation: Invocation): Rule[] {
  const facts = (form: string[], implied?: readonly ImpliedFlag[], marks?: Uint8Array): [string[], ProgramFacts] => [form, { implied, aliases: flagAliases(form), abbreviates: abbreviatesLongFlags(form), marks }];
  // Implied words belong to the program that will run, not to a named command's words.
  const implied = invocation.implied ?? [];
  const forms = [
    ...argvForms(invocation.invoked).map((form) => facts(form)),
    ...argvForms(invocation.argv).flatMap((form) => [facts(form, implied), ...withImpliedAdded(form, implied).map((added) => facts(added.words, implied, added.marks))]),
    ...(invocation.forms ?? []).map((form) => facts(form.words, undefined, form.marks)),
  ];
  // kube-credential borrows kubectl's rules on its cluster (SPEC §14, kube-route.ts).
  const credential = invocation.argv[0] === 'kube-credential' && !invocation.command;
  return config.rules.filter((rule) => {
    const pattern = compilePattern(rule.match);
    return forms.some(([form, known]) => matchPattern(pattern, form, known)) || (credential && ruleCoversCredential(pattern, invocation.argv, implied));
  });
}

export function resolveInvocation(
  config: Config,
  invocation: Invocation,
  options: { profile?: string; envProfile?: string; tier?: string },
): Resolution {
  const rules = matchRules(config, invocation);
  const matched: MatchedTier[] = rules.map((rule) => ({ tier: rule.tier, via: `rule ${rule.name}`, origin: rule.origin }));
  const command = invocation.command;
  if (command?.tier) matched.push({ tier: command.tier, via: `command ${command.name}`, origin: command.origin });
  for (const when of command?.when ?? []) {
    if (matchPattern(compilePattern(when.match), invocation.invoked)) matched.push({ tier: when.tier, via: `when "${when.match}"`, origin: command!.origin });
  }
  // A project layer only tightens (SPEC §2, §13): its rules and commands add to the default tier of the
  // layers above it, never replace it. A command nothing else matches gets default_tier, as SPEC §2 says.
  if (!matched.some((m) => m.origin && m.origin.layer !== 'project')) for (const tier of config.default_tiers) matched.push({ tier, via: 'default_tier' });
  // Fail closed: a command with no tier at all would run with no limits.
  if (matched.length === 0) throw new GuardError('config', `no rule matches "${basename(invocation.argv[0] ?? '')}" and no default_tier is set; set default_tier in your configuration`);
  if (options.tier) {
    if (!config.tiers.has(options.tier)) throw new GuardError('usage', `unknown tier "${options.tier}" (known: ${[...config.tiers.keys()].join(', ')})`);
    matched.push({ tier: options.tier, via: '--tier' });
  }
  const tiers = matched.map((m) => config.tiers.get(m.tier)).filter((tier) => tier !== undefined);
  const limits = strictest(tiers);
  const effective = namedTier(matched.flatMap((m) => (config.tiers.has(m.tier) ? [{ ...m, limits: config.tiers.get(m.tier)! }] : [])));

  const env: Record<string, string> = {};
  const narrowing: Narrowing = {};
  for (const source of [...rules, ...(command ? [command] : [])]) {
    Object.assign(env, source.env);
    if (source.scope) narrowing.scope = source.scope;
    if (source.resource) narrowing.resource = source.resource;
  }
  const profileName = options.profile ?? command?.profile ?? rules.find((rule) => rule.profile)?.profile ?? options.envProfile;
  return {
    profile: selectProfile(config, profileName),
    tier: effective?.name ?? '(none)',
    matched,
    rules,
    limits,
    env,
    narrowing,
    label: command ? command.name : basename(invocation.argv[0] ?? ''),
  };
}

const ms = (value: number | undefined) => value ?? Infinity;

/**
 * The tier a command is named by (SPEC §8: the matching tier with the
 * shortest idle). Tiers with the same idle are told apart by what else
 * they ask: the shorter reauth_within, then max_session, then confirm,
 * then one asked for (a rule, --tier) over the default tier — so
 * `--tier privileged` beside a standard tier of the same idle is named
 * privileged, the tier whose limits the command really gets.
 */
function namedTier(candidates: ReadonlyArray<MatchedTier & { limits: Tier }>): Tier | undefined {
  const order = (a: MatchedTier & { limits: Tier }, b: MatchedTier & { limits: Tier }) =>
    ms(a.limits.idle) - ms(b.limits.idle) ||
    ms(a.limits.reauth_within) - ms(b.limits.reauth_within) ||
    ms(a.limits.max_session) - ms(b.limits.max_session) ||
    Number(b.limits.confirm === true) - Number(a.limits.confirm === true) ||
    Number(a.via === 'default_tier') - Number(b.via === 'default_tier');
  return [...candidates].sort(order)[0]?.limits;
}

/** The profile to use: the one asked for, else default_profile, else `default`, else the only one. */
export function selectProfile(config: Config, name?: string): Profile {
  const chosen = name ?? config.default_profile ?? (config.profiles.has('default') ? 'default' : config.profiles.size === 1 ? [...config.profiles.keys()][0] : undefined);
  if (chosen === undefined) {
    if (config.profiles.size === 0) throw new GuardError('config', 'no profile is configured: add one under "profiles:" (see docs/configuration.md)');
    throw new GuardError('usage', `several profiles are configured; choose one with --profile (${[...config.profiles.keys()].join(', ')})`);
  }
  const profile = config.profiles.get(chosen);
  if (!profile) throw new GuardError('usage', `unknown profile "${chosen}" (configured: ${[...config.profiles.keys()].join(', ') || 'none'})`);
  return profile;
}
