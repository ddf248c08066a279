/** Can a command that a kubeconfig or a git helper names (absolute, or looked up on PATH) be started? */
import { accessSync, constants } from 'node:fs';
import { isAbsolute } from 'node:path';
import { findOnPath } from '../setup/path-lookup.ts';

export function runnable(command: string, env: NodeJS.ProcessEnv): boolean {
  if (!isAbsolute(command)) return findOnPath(command, env) !== undefined;
  try {
    accessSync(command, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
