/** Small facts about names that the hot path needs without loading the YAML parser. */
import { isLoopbackHost } from '../util/net.ts';

/** guard's own commands: a named command may not start with one. */
export const BUILTIN_COMMANDS = [
  'login', 'logout', 'status', 'run', 'explain', 'token', 'touch', 'lock', 'shell-init',
  'completion', 'report', 'config', 'trust', 'policy', 'help',
  'init', 'doctor',
  'kube-credential', 'kubeconfig', 'git-credential', 'aws-credential', 'aws-config',
] as const;

/**
 * guard's commands that tools run to get a credential (SPEC §9, §15). Rules see
 * them as the words `CALLER SERVER`; the audit log names them in `command`
 * with the `server`.
 */
export const CREDENTIAL_CALLERS = ['kube-credential', 'git-credential', 'aws-credential'] as const;
export type CredentialCaller = (typeof CREDENTIAL_CALLERS)[number];
export const isCredentialCaller = (word: string | undefined): word is CredentialCaller => (CREDENTIAL_CALLERS as readonly (string | undefined)[]).includes(word);

/**
 * A credential request's words as rules match them besides the words
 * themselves (the argv form; both count): `aws-credential`'s role ARN in
 * lower case, since IAM role names are case-insensitive and STS takes any
 * spelling — so a rule written in lower case matches every one.
 */
export function callerMatchWords(words: readonly string[]): string[] {
  return words[0] === 'aws-credential' && words[1] !== undefined ? [words[0], words[1].toLowerCase(), ...words.slice(2)] : [...words];
}

/** https everywhere; plain http only for an IdP on this machine (development and tests). */
export function isAllowedIssuer(issuer: string): boolean {
  try {
    const url = new URL(issuer);
    if (url.protocol === 'https:') return true;
    return url.protocol === 'http:' && isLoopbackHost(url.hostname);
  } catch {
    return false;
  }
}

/** An AWS region name (`us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`): it becomes a host name, so nothing else. */
export function isAwsRegion(region: string): boolean {
  return /^[a-z]{2,4}(-[a-z]+){1,3}-\d{1,2}$/.test(region);
}
