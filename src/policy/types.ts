/** The shapes of guard's configuration (SPEC §2), after parsing. Durations are milliseconds. */

export type LayerKind = 'system' | 'user' | 'project';
export type StoreKind = 'secret-service' | 'keyutils';

export interface Limits {
  idle?: number;
  max_session?: number;
  reauth_within?: number;
  confirm?: boolean;
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
  /** Which token `guard kube-credential` hands to Kubernetes (SPEC §9); default id_token. */
  kube_token?: 'id_token' | 'access_token';
  /** The username `guard git-credential` gives git (SPEC §9); default oauth2. */
  git_username?: string;
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

export interface AuditSettings {
  argv?: boolean;
  max_bytes?: number;
  secret_patterns?: string[];
  otlp?: string;
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
