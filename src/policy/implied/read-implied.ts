/**
 * The edge of implied words: decides whether this command needs any (some
 * rule names one of its program's implied flags) and only then reads the
 * kubeconfig (cached), the environment or terraform's workspace file.
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { basename } from 'node:path';
import type { Deps } from '../../deps.ts';
import { spellings } from '../flag-aliases.ts';
import { compilePattern, patternFlagNames, patternMayMatchProgram, patternWordsMayTakeImplied } from '../matcher.ts';
import { credentialFlagOf, isKubectlTargetRule } from '../kube-route.ts';
import { resolveInvocation, type Invocation, type Resolution } from '../resolve.ts';
import type { Config, Rule } from '../types.ts';
import { impliedFlagNames, impliedWords, type ImpliedReader, type ImpliedWord, type TextRead } from './implied-words.ts';
import { readKubeconfigCached } from './kubeconfig-cache.ts';

function readText(path: string): TextRead {
  try {
    return { text: readFileSync(path, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return code === 'ENOENT' ? { missing: true } : { problem: code };
  }
}

/** The account's home folder from the passwd entry (not HOME: os.homedir() prefers HOME, even an empty one); '' when there is none. */
function accountHome(): string {
  try {
    return userInfo().homedir;
  } catch {
    return '';
  }
}

export function systemImpliedReader(deps: Deps): ImpliedReader {
  return {
    env: deps.env,
    cwd: deps.cwd,
    home: accountHome(),
    readKubeconfig: (path) => readKubeconfigCached(deps.paths.stateDir, path, deps.now()),
    readText,
  };
}

/**
 * The implied flag names of argv's program that some rule may look at: those
 * its flag words use, under any spelling — or all of them when a plain glob
 * word of a rule for this program could match an implied `--flag=value` word
 * (SPEC §2 v3: `psql *prod*` against `PGHOST=prod-db psql`).
 */
export function neededImplied(rules: readonly Rule[], argv: readonly string[]): Set<string> {
  const names = impliedFlagNames(argv);
  if (names.length === 0) return new Set();
  const program = basename(argv[0]!);
  // kube-credential borrows kubectl's rules on its cluster (SPEC §14): their target words count too.
  const route = program === 'kube-credential';
  const used = new Set<string>();
  for (const rule of rules) {
    const pattern = compilePattern(rule.match);
    const borrowed = route && isKubectlTargetRule(pattern);
    if (!borrowed && !patternMayMatchProgram(pattern, program, argv[0])) continue;
    if (!borrowed && patternWordsMayTakeImplied(pattern)) return new Set(names);
    for (const name of patternFlagNames(pattern)) used.add(borrowed ? credentialFlagOf(name) : name);
  }
  return new Set(names.filter((name) => spellings(argv, name).some((spelling) => used.has(spelling))));
}

/** The implied words for the argv that will run; empty (and nothing read) when no rule needs them. */
export async function readImpliedWords(deps: Deps, rules: readonly Rule[], argv: readonly string[]): Promise<ImpliedWord[]> {
  const needed = neededImplied(rules, argv);
  return needed.size === 0 ? [] : impliedWords(argv, needed, systemImpliedReader(deps));
}

/**
 * Implied words and the resolution they lead to. What a matching rule or
 * named command injects into the child's environment (`env: { PGHOST: … }`,
 * `KUBECONFIG`) is what the tool will read, so the implied words are read
 * again with it, and the rules that then match apply too (the words of
 * every pass count: fail closed, SPEC §2).
 */
export async function resolveWithImplied(
  deps: Deps,
  config: Config,
  typed: Invocation,
  options: Parameters<typeof resolveInvocation>[2],
): Promise<{ implied: ImpliedWord[]; resolution: Resolution }> {
  let implied = await readImpliedWords(deps, config.rules, typed.argv);
  let resolution = resolveInvocation(config, { ...typed, implied }, options);
  if (impliedFlagNames(typed.argv).length === 0) return { implied, resolution }; // a program without implied words
  for (let pass = 0; pass < 3 && Object.keys(resolution.env).length > 0; pass++) {
    const injected = await readImpliedWords({ ...deps, env: { ...deps.env, ...resolution.env } }, config.rules, typed.argv);
    const fresh = injected.filter((word) => !implied.some((known) => known.name === word.name && known.value === word.value));
    if (fresh.length === 0) break;
    implied = [...implied, ...fresh];
    resolution = resolveInvocation(config, { ...typed, implied }, options);
  }
  return { implied, resolution };
}
