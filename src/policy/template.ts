/**
 * Templates in named commands: `{args}` (all arguments, as separate words),
 * `{1}`… (one argument), `{env.NAME}`, and in `env` entries only
 * `{access_token}` / `{id_token}`. Tokens never go to argv (SPEC §4).
 */
import { basename } from 'node:path';
import { bindShellScript, shellScriptIndex } from './shell-script.ts';

// `${…}` is the shell's, not ours: run: ["sh", "-c", "echo ${HOME}"] stays as written.
const PLACEHOLDER = /(?<!\$)\{([^{}$]*)\}/g;
const TOKEN_NAMES = new Set(['access_token', 'id_token']);

export type TemplateContext = 'argv' | 'env';

/** Returns a problem with a template string, or undefined. */
export function checkTemplate(text: string, context: TemplateContext): string | undefined {
  for (const [, name] of text.matchAll(PLACEHOLDER)) {
    if (name === 'args') {
      if (context === 'env') return '{args} is only allowed in run';
      if (text !== '{args}') return '{args} must be a whole list entry';
    } else if (TOKEN_NAMES.has(name!)) {
      if (context === 'argv') return `{${name}} is not allowed in run: tokens go to the command only through env`;
    } else if (!/^\d+$/.test(name!) && !/^env\.[A-Za-z_][A-Za-z0-9_]*$/.test(name!)) {
      return `unknown placeholder {${name}} (use {args}, {1}, {env.NAME}${context === 'env' ? ', {access_token}, {id_token}' : ''})`;
    }
  }
  return undefined;
}

export interface TemplateValues {
  args: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  tokens?: { access_token: string; id_token?: string };
}

/** Expands one template string; `{args}` is handled by expandArgv. */
export function expandTemplate(text: string, values: TemplateValues): string {
  return text.replace(PLACEHOLDER, (_, name: string) => {
    if (/^\d+$/.test(name)) return values.args[Number(name) - 1] ?? '';
    if (name.startsWith('env.')) return values.env[name.slice(4)] ?? '';
    if (name === 'access_token') return values.tokens?.access_token ?? '';
    if (name === 'id_token') return values.tokens?.id_token ?? '';
    return '';
  });
}

/**
 * The argv of a named command. The script of `sh -c SCRIPT` gets no value
 * substituted: its placeholders read positional parameters whose values
 * follow it as argv words (see shell-script.ts; SPEC §13).
 */
export function expandArgv(run: readonly string[], values: TemplateValues): string[] {
  const expand = (parts: readonly string[]) => parts.flatMap((part) => (part === '{args}' ? [...values.args] : [expandTemplate(part, values)]));
  const at = shellScriptIndex(run);
  if (at === undefined) return expand(run);
  const after = expand(run.slice(at + 1));
  // With no words after the script, $0 is the shell's name, so the values start at $1.
  if (after.length === 0) after.push(basename(run[0]!));
  const bound = bindShellScript(run[at]!, after.length, (name) => expandTemplate(`{${name}}`, values));
  return [...expand(run.slice(0, at)), bound.script, ...after, ...bound.values];
}

export function usesTokens(env: Readonly<Record<string, string>>): boolean {
  return Object.values(env).some((value) => /\{(access_token|id_token)\}/.test(value));
}
