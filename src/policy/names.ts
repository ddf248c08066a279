/** Small facts about names that the hot path needs without loading the YAML parser. */

/** guard's own commands: a named command may not start with one. */
export const BUILTIN_COMMANDS = [
  'login', 'logout', 'status', 'run', 'explain', 'token', 'touch', 'lock', 'shell-init',
  'completion', 'report', 'config', 'trust', 'policy', 'help',
  'kube-credential', 'kubeconfig', 'git-credential',
] as const;

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

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}
