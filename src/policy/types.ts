/** The shapes of guard's configuration (SPEC §2), after parsing. Durations are milliseconds. */
import type { AuditSettings } from '../deps.ts';
import type { StoreKind } from '../keychain/keychain.ts';

export type { AuditSettings, StoreKind };

export type LayerKind = 'system' | 'user' | 'project';

export interface Limits {
  idle?: number;
  max_session?: number;
  reauth_within?: number;
  confirm?: boolean;
  /** SPEC §10: idle clock and step-up freshness kept per terminal. */
  bind?: 'terminal';
  /** SPEC §11: every invocation without a terminal needs an out-of-band approval. */
  approve_each?: boolean;
  /**
   * While the IdP cannot be reached, commands that need no token may run
   * this long after the access token expired, within every other limit
   * (issue 23; docs/outage.md). Absent means none.
   */
  offline_grace?: number;
}

export interface Tier extends Limits {
  name: string;
}

export interface Profile {
  name: string;
  issuer: string;
  client_id: string;
  scopes: string[];
  store: StoreKind;
  /** RFC 8707 resources requested at login; a narrower token may only name these. */
  resources: string[];
  /** Out-of-band approval for callers without a terminal (SPEC §11). */
  approval?: Approval;
  /** Which token `guard kube-credential` hands to Kubernetes (SPEC §9); default id_token. */
  kube_token?: 'id_token' | 'access_token';
  /**
   * `guard kube-credential` hands out an access token for each cluster alone
   * (RFC 8707: resource = the cluster's normalised server URL), kept per
   * cluster until it expires (SPEC §14).
   */
  kube_resource?: boolean;
  /** The username `guard git-credential` gives git (SPEC §9); default oauth2. */
  git_username?: string;
  /** Where `guard aws-credential` calls STS (SPEC §15): an https URL (http only on loopback). */
  aws_sts_endpoint?: string;
  /** The AWS region whose STS endpoint is the default (`https://sts.REGION.amazonaws.com`). */
  aws_region?: string;
}

/** `approval:` of a profile: OpenID Connect CIBA in poll mode (SPEC §11). */
export interface Approval {
  method: 'ciba';
  /** The claim of the stored ID token sent as login_hint (e.g. email). */
  login_hint: string;
  /** A client of its own for the backchannel endpoint (CIBA Core §7.1 wants an authenticated client). */
  client_id?: string;
  /** Name of the environment variable holding that client's secret (never the secret itself). */
  client_secret_env?: string;
  /** A private JWK file (with `alg`, mode 0600) for private_key_jwt. */
  private_key_jwt?: string;
  /** The longest binding_message to send (default 20, the strictest common IdP rule). */
  binding_message_max?: number;
}

/** Where a rule or command was defined, for explain and error messages. */
export interface Origin {
  layer: LayerKind;
  file: string;
  line: number;
  col: number;
}

export interface Narrowing {
  scope?: string;
  resource?: string;
}

export interface Rule extends Narrowing {
  name: string;
  match: string;
  tier: string;
  profile?: string;
  env: Record<string, string>;
  origin: Origin;
}

export interface NamedCommand extends Narrowing {
  name: string;
  run: string[];
  tier?: string;
  when: Array<{ match: string; tier: string }>;
  env: Record<string, string>;
  description?: string;
  profile?: string;
  origin: Origin;
}


export interface PolicySource {
  url: string;
  jwks_url?: string;
  keys?: unknown[];
  refresh?: number;
  max_stale?: number;
}

/** One parsed configuration file. */
export interface Layer {
  kind: LayerKind;
  file: string;
  profiles: Profile[];
  default_profile?: string;
  tiers: Tier[];
  default_tier?: string;
  rules: Rule[];
  commands: NamedCommand[];
  aliases: string[];
  audit: AuditSettings;
  policy?: PolicySource;
  claims?: { idle?: string; max_session?: string };
}

/** All layers merged (see merge.ts). */
export interface Config {
  layers: Layer[];
  profiles: Map<string, Profile>;
  default_profile?: string;
  tiers: Map<string, Tier>;
  /** Every layer's default_tier: all apply to a command no rule matches. */
  default_tiers: string[];
  rules: Rule[];
  commands: Map<string, NamedCommand>;
  aliases: string[];
  audit: AuditSettings;
  policy?: PolicySource;
  claims: { idle?: string; max_session?: string };
}

export interface ConfigIssue {
  file: string;
  line: number;
  col: number;
  message: string;
}
