/**
 * Parses one YAML configuration file into a Layer, collecting every problem
 * with file, line and column (never just the first; never silently ignored).
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDuration } from '../util/duration.ts';
import { checkPattern } from './matcher.ts';
import { checkTemplate } from './template.ts';
import { checkShellScript, shellScriptIndex } from './shell-script.ts';
import { BUILTIN_COMMANDS, isAllowedIssuer } from './names.ts';
import type {
  Approval, AuditSettings, ConfigIssue, Layer, LayerKind, Limits, NamedCommand, Origin, Profile, Rule, StoreKind,
} from './types.ts';

const TOP_KEYS = [
  'version', 'profiles', 'default_profile', 'tiers', 'default_tier', 'rules', 'commands', 'aliases',
  'audit', 'policy_url', 'policy_jwks_url', 'policy_keys', 'policy_refresh', 'policy_max_stale', 'claims',
];

class Checker {
  readonly issues: ConfigIssue[] = [];
  constructor(readonly file: string, private readonly lines: LineCounter) {}

  pos(node: Node | null | undefined): { line: number; col: number } {
    return this.lines.linePos(node?.range?.[0] ?? 0);
  }

  at(node: Node | null | undefined, message: string): void {
    this.issues.push({ file: this.file, ...this.pos(node), message });
  }

  /** The pairs of a mapping, reporting keys outside `allowed`. */
  pairs(node: Node | null | undefined, where: string, allowed?: readonly string[]): Array<[string, Node | null, Pair]> {
    if (!isMap(node)) {
      this.at(node, `${where} must be a mapping`);
      return [];
    }
    const out: Array<[string, Node | null, Pair]> = [];
    for (const pair of (node as YAMLMap).items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
      if (key === undefined) {
        this.at(keyNode, `${where}: keys must be plain strings`);
        continue;
      }
      if (allowed && !allowed.includes(key)) {
        this.at(keyNode, `unknown key "${key}" in ${where} (expected one of: ${allowed.join(', ')})`);
        continue;
      }
      out.push([key, pair.value as Node | null, pair]);
    }
    return out;
  }

  string(node: Node | null | undefined, where: string): string | undefined {
    if (isScalar(node) && typeof node.value === 'string' && node.value !== '') return node.value;
    this.at(node, `${where} must be a non-empty string`);
    return undefined;
  }

  strings(node: Node | null | undefined, where: string): string[] {
    if (!isSeq(node)) {
      this.at(node, `${where} must be a list of strings`);
      return [];
    }
    return node.items.flatMap((item) => {
      const value = this.string(item as Node, `each entry of ${where}`);
      return value === undefined ? [] : [value];
    });
  }

  boolean(node: Node | null | undefined, where: string): boolean | undefined {
    if (isScalar(node) && typeof node.value === 'boolean') return node.value;
    this.at(node, `${where} must be true or false`);
    return undefined;
  }

  duration(node: Node | null | undefined, where: string): number | undefined {
    const text = isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number') ? String(node.value) : undefined;
    const ms = text === undefined ? undefined : parseDuration(text);
    if (ms === undefined) this.at(node, `${where}: bad duration ${JSON.stringify(text ?? null)} (use e.g. 90s, 15m, 8h, 1d)`);
    return ms;
  }

  stringMap(node: Node | null | undefined, where: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of this.pairs(node, where)) {
      const text = this.string(value, `${where}.${key}`);
      if (text !== undefined) out[key] = text;
    }
    return out;
  }
}

const TIER_KEYS = ['idle', 'max_session', 'reauth_within', 'confirm', 'bind', 'approve_each'];
const PROFILE_KEYS = ['issuer', 'client_id', 'scopes', 'store', 'resources', 'approval', 'kube_token', 'git_username'];
const APPROVAL_KEYS = ['method', 'login_hint', 'client_id', 'client_secret_env', 'private_key_jwt', 'binding_message_max'];
const RULE_KEYS = ['name', 'match', 'tier', 'profile', 'scope', 'resource', 'env'];
const COMMAND_KEYS = ['run', 'tier', 'when', 'env', 'description', 'profile', 'scope', 'resource'];
const AUDIT_KEYS = ['argv', 'max_bytes', 'secret_patterns', 'ship'];
/** Keys that route authentication: never from a project `.guard.yaml` (SPEC §13). */
const ROUTING_KEYS = ['profiles', 'default_profile'];
const notInProject = (what: string) =>
  `${what} may not be set in a project .guard.yaml (it would send authentication to another identity provider); set it in your user configuration`;

export interface ParsedLayer {
  layer: Layer;
  issues: ConfigIssue[];
}

/** Parses `text` (the content of `file`) as a configuration layer of the given kind. */
export function parseLayer(text: string, file: string, kind: LayerKind): ParsedLayer {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const check = new Checker(file, lines);
  const layer: Layer = { kind, file, profiles: [], tiers: [], rules: [], commands: [], aliases: [], audit: {} };
  for (const error of doc.errors) {
    const { line, col } = lines.linePos(error.pos[0]);
    check.issues.push({ file, line, col, message: `YAML: ${error.message.split('\n')[0]}` });
  }
  if (doc.errors.length > 0) return { layer, issues: check.issues };
  if (doc.contents === null) return { layer, issues: [] }; // an empty file is an empty layer
  const origin = (node: Node | null | undefined): Origin => ({ layer: kind, file, ...check.pos(node) });

  let sawVersion = false;
  for (const [key, value, pair] of check.pairs(doc.contents as Node, 'the top level', TOP_KEYS)) {
    if (kind === 'project' && ROUTING_KEYS.includes(key)) {
      check.at(pair.key as Node, notInProject(key));
      continue;
    }
    switch (key) {
      case 'version':
        sawVersion = true;
        if (!isScalar(value) || value.value !== 1) check.at(value, 'version must be 1');
        break;
      case 'profiles':
        for (const [name, spec] of check.pairs(value, 'profiles')) {
          const profile = parseProfile(check, name, spec);
          if (profile) layer.profiles.push(profile);
        }
        break;
      case 'default_profile':
        layer.default_profile = check.string(value, key);
        break;
      case 'tiers':
        for (const [name, spec] of check.pairs(value, 'tiers')) layer.tiers.push({ name, ...parseLimits(check, name, spec) });
        break;
      case 'default_tier':
        layer.default_tier = check.string(value, key);
        break;
      case 'rules':
        if (!isSeq(value)) check.at(value, 'rules must be a list');
        else value.items.forEach((item, i) => {
          const rule = parseRule(check, i, item as Node, origin(item as Node));
          if (rule) layer.rules.push(rule);
        });
        break;
      case 'commands':
        for (const [name, spec, pair] of check.pairs(value, 'commands')) {
          const command = parseCommand(check, name, spec, pair, origin(pair.key as Node));
          if (command) layer.commands.push(command);
        }
        break;
      case 'aliases':
        layer.aliases = check.strings(value, 'aliases');
        for (const [i, alias] of layer.aliases.entries()) {
          if (!/^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/.test(alias) || alias === 'guard') {
            check.at(isSeq(value) ? (value.items[i] as Node) : value, `alias "${alias}" must be a plain program name (not guard, not starting with - or .)`);
          }
        }
        break;
      case 'audit':
        layer.audit = parseAudit(check, value);
        break;
      case 'policy_url':
        layer.policy = { ...layer.policy, url: check.string(value, key) ?? '' };
        break;
      case 'policy_jwks_url':
        layer.policy = { url: '', ...layer.policy, jwks_url: check.string(value, key) };
        break;
      case 'policy_keys':
        if (!isSeq(value)) check.at(value, 'policy_keys must be a list of JWKs');
        else layer.policy = { url: '', ...layer.policy, keys: value.toJSON() as unknown[] };
        break;
      case 'policy_refresh':
        layer.policy = { url: '', ...layer.policy, refresh: check.duration(value, key) };
        break;
      case 'policy_max_stale':
        layer.policy = { url: '', ...layer.policy, max_stale: check.duration(value, key) };
        break;
      case 'claims': {
        const claims: { idle?: string; max_session?: string } = {};
        for (const [name, claim] of check.pairs(value, 'claims', ['idle', 'max_session'])) {
          claims[name as 'idle' | 'max_session'] = check.string(claim, `claims.${name}`);
        }
        layer.claims = claims;
        break;
      }
    }
  }
  if (!sawVersion) check.at(doc.contents as Node, 'missing "version: 1"');
  if (layer.policy && !layer.policy.url) check.at(doc.contents as Node, 'policy_* keys need policy_url');
  return { layer, issues: check.issues };
}

function parseLimits(check: Checker, name: string, node: Node | null): Limits {
  const limits: Limits = {};
  for (const [key, value] of check.pairs(node, `tiers.${name}`, TIER_KEYS)) {
    if (key === 'confirm') limits.confirm = check.boolean(value, `tiers.${name}.confirm`);
    else if (key === 'approve_each') limits.approve_each = check.boolean(value, `tiers.${name}.approve_each`);
    else if (key === 'bind') {
      if (check.string(value, `tiers.${name}.bind`) !== 'terminal') check.at(value, `tiers.${name}.bind must be "terminal"`);
      // What identifies a terminal (tty, session, leader's start time) is read from /proc.
      else if (process.platform !== 'linux') check.at(value, `tiers.${name}.bind: terminal is supported on Linux only (guard reads the terminal's identity from /proc)`);
      else limits.bind = 'terminal';
    } else limits[key as 'idle' | 'max_session' | 'reauth_within'] = check.duration(value, `tiers.${name}.${key}`);
  }
  return limits;
}

function parseProfile(check: Checker, name: string, node: Node | null): Profile | undefined {
  const profile: Partial<Profile> = { name, scopes: ['openid', 'offline_access'], store: 'secret-service', resources: [] };
  for (const [key, value] of check.pairs(node, `profiles.${name}`, PROFILE_KEYS)) {
    if (key === 'issuer') {
      const issuer = check.string(value, `profiles.${name}.issuer`);
      if (issuer && !isAllowedIssuer(issuer)) check.at(value, `profiles.${name}.issuer must be an https:// URL (http only on loopback)`);
      profile.issuer = issuer;
    } else if (key === 'client_id') profile.client_id = check.string(value, `profiles.${name}.client_id`);
    else if (key === 'scopes') profile.scopes = check.strings(value, `profiles.${name}.scopes`);
    else if (key === 'resources') profile.resources = check.strings(value, `profiles.${name}.resources`);
    else if (key === 'approval') profile.approval = parseApproval(check, `profiles.${name}.approval`, value);
    else if (key === 'store') {
      const store = check.string(value, `profiles.${name}.store`);
      if (store !== 'secret-service' && store !== 'keyutils') check.at(value, `profiles.${name}.store must be secret-service or keyutils`);
      else profile.store = store as StoreKind;
    } else if (key === 'kube_token') {
      const kind = check.string(value, `profiles.${name}.kube_token`);
      if (kind !== 'id_token' && kind !== 'access_token') check.at(value, `profiles.${name}.kube_token must be id_token or access_token`);
      else profile.kube_token = kind;
    } else if (key === 'git_username') {
      const user = check.string(value, `profiles.${name}.git_username`);
      // git's credential protocol is one key=value a line: no line breaks, no NUL.
      if (user !== undefined && /[\u0000-\u001f\u007f]/.test(user)) check.at(value, `profiles.${name}.git_username must not contain control characters`);
      else profile.git_username = user;
    }
  }
  if (!profile.issuer || !profile.client_id) {
    check.at(node, `profiles.${name} needs issuer and client_id`);
    return undefined;
  }
  if (!profile.scopes!.includes('openid')) check.at(node, `profiles.${name}.scopes must include openid`);
  return profile as Profile;
}

function parseApproval(check: Checker, where: string, node: Node | null): Approval | undefined {
  const approval: Partial<Approval> = {};
  for (const [key, value] of check.pairs(node, where, APPROVAL_KEYS)) {
    if (key === 'binding_message_max') {
      if (isScalar(value) && Number.isInteger(value.value) && (value.value as number) >= 8 && (value.value as number) <= 128) approval.binding_message_max = value.value as number;
      else check.at(value, `${where}.binding_message_max must be a whole number from 8 to 128`);
    } else if (key === 'method') {
      if (check.string(value, `${where}.method`) === 'ciba') approval.method = 'ciba';
      else check.at(value, `${where}.method must be "ciba"`);
    } else if (key === 'client_secret_env' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(check.string(value, `${where}.${key}`) ?? '')) {
      check.at(value, `${where}.client_secret_env must name an environment variable (the secret itself never goes in the config)`);
    } else approval[key as 'login_hint' | 'client_id' | 'client_secret_env' | 'private_key_jwt'] = check.string(value, `${where}.${key}`);
  }
  if (!approval.method || !approval.login_hint) {
    check.at(node, `${where} needs method: ciba and login_hint: CLAIM`);
    return undefined;
  }
  if ((approval.client_secret_env || approval.private_key_jwt) && !approval.client_id) check.at(node, `${where}: client_secret_env and private_key_jwt need the approval's own client_id`);
  if (approval.client_secret_env && approval.private_key_jwt) check.at(node, `${where}: choose client_secret_env or private_key_jwt, not both`);
  return approval as Approval;
}

function parseRule(check: Checker, index: number, node: Node, origin: Origin): Rule | undefined {
  const where = `rules[${index}]`;
  const rule: Partial<Rule> = { env: {}, origin };
  for (const [key, value, pair] of check.pairs(node, where, RULE_KEYS)) {
    if (key === 'profile' && origin.layer === 'project') check.at(pair.key as Node, notInProject(`${where}.profile`));
    else if (key === 'env') rule.env = parseEnv(check, value, `${where}.env`);
    else if (key === 'match') {
      rule.match = check.string(value, `${where}.match`);
      const problem = rule.match === undefined ? undefined : checkPattern(rule.match);
      if (problem) check.at(value, `${where}.match: bad pattern: ${problem}`);
    } else (rule as Record<string, unknown>)[key] = check.string(value, `${where}.${key}`);
  }
  if (!rule.match || !rule.tier) {
    check.at(node, `${where} needs match and tier`);
    return undefined;
  }
  rule.name ??= rule.match;
  return rule as Rule;
}

function parseCommand(check: Checker, name: string, node: Node | null, pair: Pair, origin: Origin): NamedCommand | undefined {
  const where = `commands.${name}`;
  const words = name.trim().split(/\s+/);
  if ((BUILTIN_COMMANDS as readonly string[]).includes(words[0]!)) {
    check.at(pair.key as Node, `command "${name}" collides with the built-in command "${words[0]}"`);
  }
  if (words.some((word) => word.startsWith('-') || word.includes('*'))) check.at(pair.key as Node, `command name "${name}" must be plain words`);
  const command: Partial<NamedCommand> = { name: words.join(' '), when: [], env: {}, origin };
  for (const [key, value, keyPair] of check.pairs(node, where, COMMAND_KEYS)) {
    if (key === 'profile' && origin.layer === 'project') check.at(keyPair.key as Node, notInProject(`${where}.profile`));
    else if (key === 'run') {
      command.run = check.strings(value, `${where}.run`);
      if (origin.layer === 'project') command.run = programBesideFile(command.run, origin.file);
      const script = shellScriptIndex(command.run);
      const scriptProblem = script === undefined ? undefined : checkShellScript(command.run[script]!);
      if (scriptProblem) check.at(isSeq(value) ? (value.items[script!] as Node) : value, `${where}.run: ${scriptProblem}`);
      command.run.forEach((part, i) => {
        const problem = checkTemplate(part, 'argv');
        if (problem) check.at(isSeq(value) ? (value.items[i] as Node) : value, `${where}.run: ${problem}`);
      });
    } else if (key === 'when') {
      for (const [pattern, tier, whenPair] of check.pairs(value, `${where}.when`)) {
        const problem = checkPattern(pattern);
        if (problem) check.at(whenPair.key as Node, `${where}.when: bad pattern: ${problem}`);
        const tierName = check.string(tier, `${where}.when["${pattern}"]`);
        if (tierName) command.when!.push({ match: pattern, tier: tierName });
      }
    } else if (key === 'env') command.env = parseEnv(check, value, `${where}.env`);
    else (command as Record<string, unknown>)[key] = check.string(value, `${where}.${key}`);
  }
  if (!command.run || command.run.length === 0) {
    check.at(node, `${where} needs run: [program, args…]`);
    return undefined;
  }
  return command as NamedCommand;
}

/**
 * A project file's relative program (`./build.sh`) is the one beside the
 * file, not whatever the working directory holds (SPEC §13).
 */
function programBesideFile(run: string[], file: string): string[] {
  const [program, ...rest] = run;
  if (program === undefined || !program.includes('/') || isAbsolute(program) || program.includes('{')) return run;
  return [resolve(dirname(file), program), ...rest];
}

function parseEnv(check: Checker, node: Node | null, where: string): Record<string, string> {
  const env = check.stringMap(node, where);
  for (const [name, value] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) check.at(node, `${where}: "${name}" is not a valid environment variable name`);
    const problem = checkTemplate(value, 'env');
    if (problem) check.at(node, `${where}.${name}: ${problem}`);
  }
  return env;
}

function parseAudit(check: Checker, node: Node | null): AuditSettings {
  const audit: AuditSettings = {};
  for (const [key, value] of check.pairs(node, 'audit', AUDIT_KEYS)) {
    if (key === 'argv') audit.argv = check.boolean(value, 'audit.argv');
    else if (key === 'max_bytes') {
      if (isScalar(value) && typeof value.value === 'number' && value.value >= 4096) audit.max_bytes = value.value;
      else check.at(value, 'audit.max_bytes must be a number ≥ 4096');
    } else if (key === 'secret_patterns') {
      audit.secret_patterns = check.strings(value, 'audit.secret_patterns');
      for (const pattern of audit.secret_patterns) {
        try {
          new RegExp(pattern);
        } catch {
          check.at(value, `audit.secret_patterns: bad regular expression ${JSON.stringify(pattern)}`);
        }
      }
    } else if (key === 'ship') {
      for (const [kind, url] of check.pairs(value, 'audit.ship', ['otlp'])) if (kind === 'otlp') audit.otlp = check.string(url, 'audit.ship.otlp');
    }
  }
  return audit;
}
