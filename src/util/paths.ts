/** Where guard keeps its state (SPEC §6), for the launcher and systemDeps alike. */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$GUARD_STATE_DIR`, else `$XDG_STATE_HOME/guard`, else `~/.local/state/guard`. */
export function stateDirFor(env: NodeJS.ProcessEnv): string {
  return env.GUARD_STATE_DIR || join(env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state'), 'guard');
}
