/**
 * `guard config check` warnings about rules that can still be sidestepped
 * (issue 13). Only warnings that are always right: a flag word spelled with
 * a dash look-alike, a value flag written in the space form inside a
 * pattern, a kubectl / helm / psql rule that names "prod" only as a
 * plain word while the tool picks its target from a flag or its
 * environment, and an aws-credential rule whose role ARN has capitals (IAM
 * role names are case-insensitive). Pure.
 */
import { basename } from 'node:path';
import { isFlagWord } from './flag-words.ts';
import { looksLikeUrl } from '../util/normalize-url.ts';
import { findLong } from './implied/getopt-long.ts';
import { PSQL_LONG_OPTIONS } from './implied/psql-options.ts';
import type { Rule } from './types.ts';

/** Characters that look like `-` but are not (what autocorrect makes of `--`). */
const DASH_LOOKALIKES: Readonly<Record<string, string>> = {
  '\u2010': 'hyphen (U+2010)',
  '\u2011': 'non-breaking hyphen (U+2011)',
  '\u2012': 'figure dash (U+2012)',
  '\u2013': 'en dash (U+2013)',
  '\u2014': 'em dash (U+2014)',
  '\u2015': 'horizontal bar (U+2015)',
  '\u2212': 'minus sign (U+2212)',
  '\uFE63': 'small hyphen-minus (U+FE63)',
  '\uFF0D': 'fullwidth hyphen-minus (U+FF0D)',
};

/** Flags that take a value, by program: what decides where these tools connect. */
const TARGET_FLAGS: Readonly<Record<string, readonly string[]>> = {
  kubectl: ['--context', '--cluster', '--server', '-s', '--kubeconfig', '--namespace', '-n', '--user'],
  helm: ['--kube-context', '--kubeconfig', '--namespace', '-n', '--kube-apiserver'],
  psql: ['--host', '-h', '--dbname', '-d', '--username', '-U', '--port', '-p'],
  terraform: ['-chdir', '--workspace'],
};
/** The flags that pick the cluster or server (a rule without one does not look at where the command goes). */
const WHERE_FLAGS: Readonly<Record<string, readonly string[]>> = {
  kubectl: ['--context', '--cluster', '--server', '-s', '--kubeconfig'],
  helm: ['--kube-context', '--kubeconfig', '--kube-apiserver'],
  psql: ['--host', '-h', '--dbname', '-d'],
};
const SUGGEST: Readonly<Record<string, string>> = { kubectl: '--context=prod*', helm: '--kube-context=prod*', psql: '--host=*prod*' };

const flagName = (word: string) => word.split('=')[0]!;

function warningsFor(rule: Rule): string[] {
  const warnings: string[] = [];
  const words = rule.match.trim().split(/\s+/);
  const program = basename(words[0] ?? '');
  for (const [i, word] of words.entries()) {
    const lookalike = DASH_LOOKALIKES[word[0] ?? ''];
    if (lookalike) {
      const name = word.replace(/^[^\w-]+/u, '');
      const fixed = `${/^\w(=|$)/.test(name) ? '-' : '--'}${name}`;
      warnings.push(`"${word}" starts with an ${lookalike}, not "-": it is no flag word and matches only that exact text; write "${fixed}"`);
    }
    const next = words[i + 1];
    if (isFlagWord(word) && !word.includes('=') && TARGET_FLAGS[program]?.includes(word) && next !== undefined && !isFlagWord(next) && next !== '**') {
      warnings.push(`"${word} ${next}" is the flag ${word} (with any value) and then a separate word; write "${word}=${next}", which matches both "${word}=VALUE" and "${word} VALUE"`);
    }
  }
  // A command's server or repository URL is decided without its query and fragment (util/normalize-url.ts): a word that keeps one never matches.
  for (const word of words) {
    const url = word.slice(word.indexOf('=') + 1);
    if (looksLikeUrl(url) && /[?#]/.test(url)) {
      warnings.push(`"${word}" holds a "${/[?#]/.exec(url)![0]}", but guard decides a URL without its query and fragment (they name no other server), so this word never matches; write it without them`);
    }
  }
  // guard matches the role ARN as given and in lower case: only a lower-case pattern matches every spelling of a role.
  if (program === 'aws-credential' && words[1] !== undefined && words[1] !== words[1].toLowerCase()) {
    warnings.push(`"${words[1]}" has capital letters, but IAM role names are case-insensitive: another spelling of the role does not match; write it in lower case ("${words[1].toLowerCase()}"), which matches every spelling`);
  }
  const where = WHERE_FLAGS[program];
  if (where && !words.some((word) => isFlagWord(word) && where.includes(flagName(word)))) {
    // A glob that starts with `*` matches the implied `--flag=value` words too (SPEC §2 v3), which follow the typed ones: only
    // with `**` before it (`psql *prod*` misses `psql -h prod-db`, where `psql ** *prod*` does not). Any other word misses them.
    const reachesImplied = (word: string, i: number) => word.startsWith('*') && words.slice(1, i).includes('**');
    const prod = words.find((word, i) => i > 0 && !isFlagWord(word) && /prod/i.test(word) && !reachesImplied(word, i));
    if (prod) {
      const from = program === 'psql' ? 'PGHOST / PGDATABASE or -h / -d' : 'the kubeconfig\'s current context or --context';
      const glob = prod.startsWith('*') ? ` (a glob word reaches the target words only with ** before it: "${program} ** ${prod}")` : '';
      warnings.push(`"${prod}" is a plain word, but ${program} finds its target through ${from}, so a prod target reached that way does not match${glob}; add a flag word such as ${SUGGEST[program]} (see docs/policy.md, "Writing rules")`);
    }
  }
  return [...warnings, ...targetWarnings(program, words)];
}

/** Variables the tools take their target from, and the implied word a rule should name instead (SPEC §14). */
const TARGET_VARIABLES: Readonly<Record<string, readonly [string, string]>> = {
  PGHOST: ['psql', '--host'],
  PGHOSTADDR: ['psql', '--host'],
  PGPORT: ['psql', '--port'],
  PGDATABASE: ['psql', '--dbname'],
  PGUSER: ['psql', '--username'],
  PGSERVICE: ['psql', '--service'],
  AWS_PROFILE: ['aws', '--profile'],
  AWS_DEFAULT_PROFILE: ['aws', '--profile'],
  AWS_REGION: ['aws', '--region'],
  AWS_DEFAULT_REGION: ['aws', '--region'],
  CLOUDSDK_CORE_PROJECT: ['gcloud', '--project'],
  CLOUDSDK_ACTIVE_CONFIG_NAME: ['gcloud', '--configuration'],
  TF_WORKSPACE: ['terraform', '--workspace'],
};
/** psql's options that name its target: the long names of psql-options.ts. */
const PSQL_TARGETS = new Set(['host', 'port', 'dbname', 'username']);

/** The target flag that a psql flag word spells another way (`-h`, `--ho`), read by psql's own getopt table; undefined for `--host` itself and for what psql would refuse. */
function psqlTargetSpelling(name: string): string | undefined {
  const option = name.startsWith('--') ? findLong(PSQL_LONG_OPTIONS, name.slice(2)) : PSQL_LONG_OPTIONS.find((long) => name === `-${long.key}`);
  if (option === undefined || option === 'ambiguous' || !PSQL_TARGETS.has(option.name)) return undefined;
  return name === `--${option.name}` ? undefined : `--${option.name}`;
}

/**
 * Rules written on a spelling where the target form covers more (issue 22):
 * a variable (rules match argv; guard turns the variable into the implied
 * word), psql's short or abbreviated flag names (they match, but the target
 * word says what is meant).
 */
function targetWarnings(program: string, words: readonly string[]): string[] {
  const warnings: string[] = [];
  for (const word of words) {
    const variable = /^([A-Z_]+)(?:=(.*))?$/.exec(word);
    const target = variable ? TARGET_VARIABLES[variable[1]!] : undefined;
    if (target) {
      warnings.push(`"${word}" names the variable ${variable![1]}, but rules match argv: guard reads ${variable![1]} into the implied word ${target[1]}=, so write "${target[0]} ** ${target[1]}=${variable![2] || '*'}", which also matches every other way ${target[0]} is pointed there`);
    }
  }
  if (program !== 'psql') return warnings;
  for (const word of words.slice(1).filter(isFlagWord)) {
    const name = flagName(word);
    const long = psqlTargetSpelling(name);
    if (long) warnings.push(`"${word}" spells psql's ${long} another way; write "${long}${word.slice(name.length)}": the target word, which guard also implies from PGHOST/PGPORT/PGDATABASE/PGUSER, services and connection strings`);
  }
  return warnings;
}

/** One line per warning: `FILE:LINE:COL: warning: rule "NAME": …`. */
export function ruleWarnings(rules: readonly Rule[]): string[] {
  return rules.flatMap((rule) => warningsFor(rule).map((text) => `${rule.origin.file}:${rule.origin.line}:${rule.origin.col}: warning: rule "${rule.name}": ${text}`));
}
