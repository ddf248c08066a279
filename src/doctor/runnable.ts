/** Can a command that a kubeconfig, a git helper or an AWS profile names (absolute, or looked up on PATH) be started? */
import { isAbsolute } from 'node:path';
import { canRun, findOnPath } from '../setup/path-lookup.ts';

/** The executable file the command starts (an absolute path: itself, else the first on PATH), or undefined. */
export function runnablePath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  if (!isAbsolute(command)) return findOnPath(command, env);
  // A directory or a file without the x bit cannot be started, whatever realpath says of it.
  return canRun(command, env, '/') ? command : undefined;
}

export function runnable(command: string, env: NodeJS.ProcessEnv): boolean {
  return runnablePath(command, env) !== undefined;
}
