/**
 * The first user config `guard init` proposes (pure): one profile, the
 * risk-based default tiers, a rule for each known tool's common production
 * patterns, and the aliases — written as commented YAML a person can read
 * and edit. Every value that came from outside is quoted as a YAML string.
 */

/** Tools guard knows production patterns for, in the order they are listed. */
export const KNOWN_TOOLS = ['kubectl', 'psql', 'terraform', 'helm', 'aws', 'gcloud'] as const;
export type KnownTool = (typeof KNOWN_TOOLS)[number];

interface ToolRule {
  name: string;
  match: string;
  why: string;
}

/**
 * Common production patterns per tool. A flag word (`--context=*prod*`)
 * matches that flag wherever it is typed once flag-aware matching is in
 * (SPEC §2 v2); the trailing `**` keeps it matching with plain word globs too.
 */
const TOOL_RULES: Record<KnownTool, ToolRule[]> = {
  kubectl: [{ name: 'prod-kube', match: 'kubectl ** --context=*prod* **', why: 'any kubectl command against a context named like prod' }],
  psql: [
    { name: 'prod-db', match: 'psql ** --host=*prod*', why: 'psql to a host named like prod (typed, from PGHOST or in a connection string)' },
    { name: 'prod-dbname', match: 'psql ** --dbname=*prod*', why: 'psql to a database named like prod' },
  ],
  terraform: [
    { name: 'terraform-apply', match: 'terraform ** apply **', why: 'terraform changes real infrastructure' },
    { name: 'terraform-destroy', match: 'terraform ** destroy **', why: 'terraform removes real infrastructure' },
  ],
  helm: [{ name: 'prod-helm', match: 'helm ** --kube-context=*prod* **', why: 'helm against a prod kube context' }],
  aws: [{ name: 'prod-aws', match: 'aws ** --profile=*prod* **', why: 'aws with a prod profile' }],
  gcloud: [{ name: 'prod-gcloud', match: 'gcloud ** --project=*prod* **', why: 'gcloud against a prod project' }],
};

export interface Proposal {
  profile: string;
  issuer: string;
  clientId: string;
  /** offline_access is left out when the IdP says it has no refresh tokens. */
  refreshTokens: boolean;
  /** Where the tokens live: set in the profile only when it is not the Secret Service. */
  store?: 'secret-service' | 'keyutils';
  /** The known tools to guard (found on PATH, confirmed by the user). */
  tools: readonly KnownTool[];
  /** When the proposal was made, for the header line. */
  date: Date;
  /** The region whose STS `guard aws-credential` calls (SPEC §15), when the user set up AWS. */
  awsRegion?: string;
  /** Rules on the production targets found in the tools' own files (target-proposals.ts). */
  targets?: ReadonlyArray<{ match: string; why: string }>;
  /** The clusters of the kubeconfig's production-looking contexts (normalised servers), for rules on targets (SPEC §14). */
  kubeTargets?: ReadonlyArray<{ context: string; server: string }>;
}

/**
 * A rule per production cluster, on its server rather than a context name:
 * it holds whatever context, kubeconfig file or `-s` reaches that server,
 * and it decides `guard kube-credential` for the cluster too (SPEC §14).
 */
function kubeTargetRules(targets: ReadonlyArray<{ context: string; server: string }>): ToolRule[] {
  const servers = [...new Map(targets.map((t) => [t.server, targets.filter((o) => o.server === t.server).map((o) => o.context)])).entries()];
  return servers.map(([server, contexts], i) => ({
    name: `prod-cluster${servers.length > 1 ? `-${i + 1}` : ''}`,
    match: `kubectl ** --server=${server}`,
    why: `the cluster of ${contexts.map((c) => `"${c}"`).join(', ')}, however it is reached (and its kube-credential)`.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?'), // a YAML comment: one line
  }));
}

/** A YAML double-quoted string (JSON's escaping is valid YAML). */
const q = (text: string) => JSON.stringify(text);

/** Profile names guard accepts as a plain YAML key without quoting surprises. */
export function isPlainName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name);
}

export function renderConfig(p: Proposal): string {
  const scopes = ['openid', 'profile', 'email', ...(p.refreshTokens ? ['offline_access'] : [])];
  const lines = [
    `# guard configuration, written by \`guard init\` on ${p.date.toISOString().slice(0, 10)}.`,
    '# Check it with `guard config check`; see what a command would need with `guard explain -- CMD`.',
    'version: 1',
    '',
    'profiles:',
    `  ${p.profile}:`,
    `    issuer: ${q(p.issuer)}        # OIDC discovery base`,
    `    client_id: ${q(p.clientId)}   # a public client with the device grant`,
    `    scopes: [${scopes.join(', ')}]${p.refreshTokens ? '' : '   # the IdP advertised no refresh tokens'}`,
    ...(p.store === 'keyutils' ? ['    store: keyutils   # no usable Secret Service here: the kernel keyring (in memory, gone at logout or reboot)'] : []),
    ...(p.awsRegion ? [`    aws_region: ${q(p.awsRegion)}   # guard aws-credential asks STS of this region for AWS credentials`] : []),
    ...(p.profile === 'default' ? [] : [`default_profile: ${p.profile}`]),
    '',
    '# Tiers: how long a session may idle, how old it may get, and how recently you',
    '# must have typed your password. Durations: 90s, 15m, 1h, 8h, 1d.',
    'tiers:',
    '  # Production: sign in again after 15 minutes idle or 8 hours; re-enter your',
    '  # password if the last one is older than 10 minutes; answer a yes/no question.',
    '  privileged: { idle: 15m, max_session: 8h, reauth_within: 10m, confirm: true }',
    '  # Everything else guard wraps.',
    '  standard: { idle: 45m, max_session: 12h }',
    'default_tier: standard',
    '',
  ];
  const rules = [
    ...p.tools.flatMap((tool) => [...TOOL_RULES[tool], ...(tool === 'kubectl' ? kubeTargetRules(p.kubeTargets ?? []) : [])]),
    ...(p.targets ?? []).map((target, i) => ({ name: `prod-target-${i + 1}`, match: target.match, why: target.why })),
  ];
  if (rules.length > 0) {
    lines.push('# Every matching rule applies; the strictest tier wins. `*` matches within a', '# word, `**` any number of words.', 'rules:');
    for (const rule of rules) lines.push(`  - name: ${rule.name}      # ${rule.why}`, `    match: ${q(rule.match)}`, '    tier: privileged');
  } else {
    lines.push('# No rules yet: every wrapped command gets default_tier. Example:', '# rules:', '#   - name: prod-kube', '#     match: "kubectl ** --context=*prod* **"', '#     tier: privileged');
  }
  lines.push('');
  if (p.tools.length > 0) {
    lines.push('# Shell functions from `guard shell-init` route these through `guard run`.', `aliases: [${p.tools.join(', ')}]`);
  } else lines.push('# aliases: [kubectl, psql]   # for guard shell-init');
  return `${lines.join('\n')}\n`;
}
