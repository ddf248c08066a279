/**
 * The shells guard speaks (bash, zsh, fish) and how to pick one. Everything
 * that goes into a generated script from config or from the file system
 * passes through quoteFish or (bash, zsh) quotePosix of util/shell-quote.ts.
 */
import { basename } from 'node:path';
import { GuardError } from '../errors.ts';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type ShellName = (typeof SHELLS)[number];

/**
 * The shell asked for, else the login shell from `$SHELL`.
 * Throws a usage error (64) naming the choices when neither is one of ours.
 */
export function chooseShell(asked: string | undefined, env: NodeJS.ProcessEnv, usage: string): ShellName {
  const name = asked ?? (env.SHELL ? basename(env.SHELL) : undefined);
  if (name && (SHELLS as readonly string[]).includes(name)) return name as ShellName;
  const which = asked ? `unknown shell "${asked}"` : `cannot tell your shell from $SHELL${env.SHELL ? ` (${env.SHELL})` : ''}`;
  throw new GuardError('usage', `${which}; name it: ${usage.replace('SHELL', SHELLS.join('|'))}`);
}

/** A program name guard will define a shell function for: plain, and never taken for an option. */
export function isFunctionName(name: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/.test(name);
}
