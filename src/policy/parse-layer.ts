/**
 * Parses one YAML configuration file into a Layer, collecting every problem
 * with file, line and column (never just the first; never silently ignored).
 * The top level is read here; each section of the SPEC's config has its own
 * parser under parse/ (profiles, tiers, rules, commands, audit).
 */
import { LineCounter, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { Checker, notInProject } from './parse/checker.ts';
import { parseAudit } from './parse/audit.ts';
import { parseCommand } from './parse/commands.ts';
import { parseProfile } from './parse/profiles.ts';
import { parseRule } from './parse/rules.ts';
import { parseLimits } from './parse/tiers.ts';
import type { ConfigIssue, Layer, LayerKind, Origin } from './types.ts';

const TOP_KEYS = [
  'version', 'profiles', 'default_profile', 'tiers', 'default_tier', 'rules', 'commands', 'aliases',
  'audit', 'policy_url', 'policy_jwks_url', 'policy_keys', 'policy_refresh', 'policy_max_stale', 'claims',
];

/** Keys that route authentication: never from a project `.guard.yaml` (SPEC §13). */
const ROUTING_KEYS = ['profiles', 'default_profile'];

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
