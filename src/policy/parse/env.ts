/** `env:` of a rule or named command: variable names and their templates (token injection only where asked). */
import type { Node } from 'yaml';
import { Checker } from './checker.ts';
import { checkTemplate } from '../template.ts';

export function parseEnv(check: Checker, node: Node | null, where: string): Record<string, string> {
  const env = check.stringMap(node, where);
  for (const [name, value] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) check.at(node, `${where}: "${name}" is not a valid environment variable name`);
    const problem = checkTemplate(value, 'env');
    if (problem) check.at(node, `${where}.${name}: ${problem}`);
  }
  return env;
}
