/**
 * Implied words (SPEC §2, §14): what a program takes from its environment
 * and its own files, as flags a rule can match — the target it will reach.
 * One resolver per program (kubectl.ts, psql.ts, terraform.ts, …); this file
 * says which program has which words and dispatches. A source that cannot be
 * read gives an unknown value, which every rule on that flag matches (fail
 * closed). Pure: files come through an injected reader.
 */
import { basename } from 'node:path';
import type { ImpliedReader, ImpliedWord, TargetResolver } from './implied-types.ts';
import { kubeCredentialWords } from './kube-credential.ts';
import { kubeWords } from './kubectl.ts';
import { psqlWords } from './psql.ts';
import { terraformWords } from './terraform.ts';
import { awsWords } from './aws.ts';
import { gcloudWords } from './gcloud.ts';

export type { ImpliedReader, ImpliedWord, TextRead } from './implied-types.ts';
export { typedFlag } from './typed-flag.ts';

/** The flags each program may have implied, by the program's base name. */
const IMPLIED_FLAGS: Readonly<Record<string, readonly string[]>> = {
  kubectl: ['--context', '--cluster', '--server', '--namespace'],
  helm: ['--kube-context', '--context', '--cluster', '--server', '--namespace'],
  psql: ['--host', '--port', '--dbname', '--username', '--service'],
  terraform: ['--workspace'],
  aws: ['--profile', '--region'],
  gcloud: ['--project', '--configuration'],
  'kube-credential': ['--server', '--context', '--cluster'],
};

/** The implied flag names for argv's program (none for other programs). */
export function impliedFlagNames(argv: readonly string[]): readonly string[] {
  return IMPLIED_FLAGS[basename(argv[0] ?? '')] ?? [];
}

/** Each program's resolver, by the program's base name. */
const RESOLVERS: Readonly<Record<string, TargetResolver>> = {
  kubectl: (argv, needed, reader) => kubeWords(argv, needed, reader, false),
  helm: (argv, needed, reader) => kubeWords(argv, needed, reader, true),
  psql: psqlWords,
  terraform: terraformWords,
  aws: awsWords,
  gcloud: gcloudWords,
  'kube-credential': kubeCredentialWords,
};

/**
 * The implied words for argv, limited to the flag names some rule uses
 * (`needed`): nothing is read for a flag no rule asks about.
 */
export async function impliedWords(argv: readonly string[], needed: ReadonlySet<string>, reader: ImpliedReader): Promise<ImpliedWord[]> {
  const resolver = RESOLVERS[basename(argv[0] ?? '')];
  return resolver ? resolver(argv, needed, reader) : [];
}

/** One line for explain and the audit log: `--context=prod-eu from ~/.kube/config`. */
export function describeImplied(word: ImpliedWord): string {
  return word.value === undefined ? `${word.name}=? (${word.problem ?? 'unknown'}; rules on ${word.name} apply)` : `${word.name}=${word.value} from ${word.source}`;
}
