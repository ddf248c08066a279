/**
 * `guard config check` notes on Kubernetes rules and profiles (SPEC §14,
 * issue 22): a kubectl rule on a cluster also decides guard kube-credential
 * for that cluster, where its verbs and namespace cannot be known; a
 * kube-credential rule whose server word can never match the normalised
 * URL the plugin is decided on; a kube_resource profile that cannot get a
 * token for a cluster. Pure.
 */
import { basename } from 'node:path';
import { isFlagWord } from './flag-words.ts';
import { isKubectlTargetRule, KUBE_TARGET_FLAGS } from './kube-route.ts';
import { compilePattern } from './matcher.ts';
import type { Profile, Rule } from './types.ts';
import { looksLikeUrl, normalizeUrl } from '../util/normalize-url.ts';

const where = (rule: Rule) => `${rule.origin.file}:${rule.origin.line}:${rule.origin.col}: warning: rule "${rule.name}"`;

function ruleNotes(rule: Rule): string[] {
  const words = rule.match.trim().split(/\s+/);
  const program = basename(words[0] ?? '');
  const notes: string[] = [];
  if (program === 'kubectl' && isKubectlTargetRule(compilePattern(rule.match))) {
    const target = new Set<string>([...KUBE_TARGET_FLAGS, '-s']);
    const other = words.slice(1).filter((word) => word !== '**' && !target.has(word.split('=')[0]!));
    if (other.length > 0) {
      notes.push(`also decides guard kube-credential (k9s, helm, scripts through the kubeconfig) for every credential for this cluster: a credential request says no verb or namespace, so ${other.map((w) => `"${w}"`).join(', ')} ${other.length === 1 ? 'counts' : 'count'} as matching there (the token can do what any kubectl command can)`);
    }
  }
  if (program === 'kube-credential') {
    const server = words.slice(1).find((word) => word !== '**' && !isFlagWord(word)) ?? words.find((word) => word.startsWith('--server='))?.slice('--server='.length);
    // The plugin is decided on its server as a normalised URL (https://host[:port][/path]): a word that cannot match one never does.
    if (server !== undefined && !server.startsWith('*') && !looksLikeUrl(server.replace(/\*+$/, ''))) {
      notes.push(`"${server}" can never match: kube-credential's server is a URL in normalised form (https://host[:port]); write "https://${server.replace(/^\/+/, '')}"`);
    }
  }
  return notes.map((note) => `${where(rule)}: ${note}`);
}

function profileNotes(profile: Profile): string[] {
  if (!profile.kube_resource) return [];
  if (profile.resources.length === 0) return [`profile "${profile.name}": kube_resource: true needs each cluster's server in resources (asked for at sign-in; guard kube-credential refuses other servers)`];
  return profile.resources
    .filter((resource) => normalizeUrl(resource) !== undefined && normalizeUrl(resource) !== resource)
    .map((resource) => `profile "${profile.name}": resource "${resource}" is not in normalised form; kube-credential asks for "${normalizeUrl(resource)}", so write that (and the API server's audience the same)`);
}

/** One line per note: rules as `FILE:LINE:COL: warning: rule "NAME": …`, profiles by name. */
export function kubeWarnings(rules: readonly Rule[], profiles: Iterable<Profile>): string[] {
  return [...rules.flatMap(ruleNotes), ...[...profiles].flatMap(profileNotes)];
}
