/**
 * `guard NAME --help` for a named command from the configuration: its
 * description, what it runs, its tier and `when` escalations, the
 * variables it injects (names only, never values) and where it is defined.
 * Runs nothing; `guard NAME -- --help` passes `--help` to the command.
 */
import { limitsText } from '../policy/describe-layer.ts';
import { asksForHelp, findNamedCommand } from '../policy/resolve.ts';
import type { Config, NamedCommand } from '../policy/types.ts';
import { escapeControl } from '../util/text.ts';

/** The help text of the named command these words begin with, when they ask for it (or are just its name, as in `guard help NAME`). */
export function namedHelpFor(config: Config, words: readonly string[], options: { bare?: boolean } = {}): string | undefined {
  const found = findNamedCommand(config, words);
  if (!found) return undefined;
  if (!asksForHelp(found.rest) && !(options.bare && found.rest.length === 0)) return undefined;
  return namedCommandHelp(config, found.command);
}

export function namedCommandHelp(config: Config, command: NamedCommand): string {
  const name = escapeControl(command.name);
  const tierLine = (tier: string) => {
    const limits = config.tiers.get(tier);
    return `${escapeControl(tier)}${limits ? ` (${limitsText(limits)})` : ''}`;
  };
  const lines = [`Usage: guard ${name} [ARGS…]`, ''];
  if (command.description) lines.push(escapeControl(command.description), '');
  lines.push(`Runs:     ${command.run.map((word) => escapeControl(/\s/.test(word) || word === '' ? JSON.stringify(word) : word)).join(' ')}`);
  const tiers = command.tier ? [tierLine(command.tier)] : config.default_tiers.map((tier) => `${tierLine(tier)}, the default tier`);
  lines.push(`Tier:     ${tiers.join('; ') || 'none'}`);
  for (const when of command.when) lines.push(`When:     "${escapeControl(when.match)}" → ${tierLine(when.tier)}`);
  const env = Object.entries(command.env).map(([variable, template]) => `${escapeControl(variable)}${/\{(access_token|id_token)\}/.test(template) ? ' (a token)' : ''}`);
  lines.push(`Injects:  ${env.length > 0 ? env.join(', ') : 'nothing'}`);
  if (command.profile) lines.push(`Profile:  ${escapeControl(command.profile)}`);
  lines.push(`Defined:  ${command.origin.layer} layer, ${escapeControl(command.origin.file)}:${command.origin.line}`);
  lines.push(
    '',
    'Rules that match what it runs may make the tier stricter; to see the',
    `decision for given arguments: guard explain ${name} ARGS…`,
    `To pass --help to the command itself: guard ${name} -- --help`,
  );
  return `${lines.join('\n')}\n`;
}
