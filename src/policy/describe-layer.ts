/**
 * What a project file will do once trusted (SPEC §13), for `guard trust`:
 * its named commands and their programs, the rules and tiers it adds, its
 * aliases, every token it injects and every other variable it sets for the
 * commands it matches (PGHOST or KUBECONFIG change where a tool goes). Every
 * value is escaped: the file is not guard's text. Pure.
 */
import { formatDuration } from '../util/duration.ts';
import { escapeControl } from '../util/text.ts';
import type { Layer, Limits } from './types.ts';

const TOKEN = /\{(access_token|id_token)\}/;
const quote = (text: string) => `"${escapeControl(text)}"`;

function injections(env: Readonly<Record<string, string>>, tokens: boolean): string[] {
  return Object.entries(env)
    .filter(([, value]) => TOKEN.test(value) === tokens)
    .map(([name, value]) => `${escapeControl(name)}=${escapeControl(value)}`);
}

/** A tier's limits in one line: `idle 15m, reauth_within 10m, confirm, offline_grace 2h`. */
export function limitsText(limits: Limits): string {
  const parts = (['idle', 'max_session', 'reauth_within'] as const).flatMap((key) => (limits[key] === undefined ? [] : [`${key} ${formatDuration(limits[key]!)}`]));
  if (limits.confirm) parts.push('confirm');
  if (limits.offline_grace) parts.push(`offline_grace ${formatDuration(limits.offline_grace)}`);
  return parts.join(', ') || 'no limits';
}

/** Lines describing the layer, starting with a heading; tokens are called out on their own lines. */
export function describeLayer(layer: Layer): string[] {
  const lines = [`${escapeControl(layer.file)} will, once trusted:`];
  const tokens: string[] = [];
  for (const command of layer.commands) {
    const tiers = [command.tier, ...command.when.map((w) => `${w.tier} when ${quote(w.match)}`)].filter(Boolean).join(', ');
    lines.push(`  add command  guard ${escapeControl(command.name)} → runs ${command.run.map(quote).join(' ')}${tiers ? ` (tier ${escapeControl(tiers)})` : ''}`);
    for (const injection of injections(command.env, true)) tokens.push(`  inject token ${injection} into guard ${escapeControl(command.name)}`);
    for (const setting of injections(command.env, false)) lines.push(`  set          ${setting} for guard ${escapeControl(command.name)}`);
  }
  for (const rule of layer.rules) {
    lines.push(`  add rule     ${quote(rule.match)} → tier ${escapeControl(rule.tier)}${rule.name !== rule.match ? ` (${quote(rule.name)})` : ''}`);
    for (const injection of injections(rule.env, true)) tokens.push(`  inject token ${injection} into every command matching ${quote(rule.match)}`);
    for (const setting of injections(rule.env, false)) lines.push(`  set          ${setting} for every command matching ${quote(rule.match)}`);
  }
  for (const tier of layer.tiers) lines.push(`  add tier     ${escapeControl(tier.name)}: ${limitsText(tier)}`);
  if (layer.default_tier) lines.push(`  add default_tier ${escapeControl(layer.default_tier)}`);
  if (layer.aliases.length > 0) lines.push(`  add aliases  ${layer.aliases.map(escapeControl).join(', ')} (routed through guard by shell-init)`);
  lines.push(...tokens);
  if (lines.length === 1) lines.push('  nothing (an empty layer)');
  else if (tokens.length === 0) lines.push('  inject no tokens');
  return lines;
}
