/** `commands:` (SPEC §2, §13): named commands, their programs, per-argument tiers and injections. */
import { isSeq, type Node, type Pair } from 'yaml';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Checker, notInProject } from './checker.ts';
import { parseEnv } from './env.ts';
import { checkPattern } from '../matcher.ts';
import { checkTemplate } from '../template.ts';
import { checkShellScript, shellScriptIndex } from '../shell-script.ts';
import { BUILTIN_COMMANDS } from '../names.ts';
import type { NamedCommand, Origin } from '../types.ts';

const COMMAND_KEYS = ['run', 'tier', 'when', 'env', 'description', 'profile', 'scope', 'resource'];

export function parseCommand(check: Checker, name: string, node: Node | null, pair: Pair, origin: Origin): NamedCommand | undefined {
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
