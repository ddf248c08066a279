/** `rules:` (SPEC §2): match patterns, tiers, scoped tokens. */
import type { Node } from 'yaml';
import { Checker, notInProject } from './checker.ts';
import { parseEnv } from './env.ts';
import { checkPattern } from '../matcher.ts';
import type { Origin, Rule } from '../types.ts';

const RULE_KEYS = ['name', 'match', 'tier', 'profile', 'scope', 'resource', 'env'];

export function parseRule(check: Checker, index: number, node: Node, origin: Origin): Rule | undefined {
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
