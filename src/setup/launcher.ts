/** How a tool that runs guard on its own (kubectl, the aws CLI) should name it. */
import { accessSync, constants } from 'node:fs';
import { isAbsolute } from 'node:path';

/** The absolute path of this guard's launcher when it is executable (GUI tools often have another PATH), else `guard`. */
export function guardLauncher(self: string | undefined): string {
  if (self && isAbsolute(self)) {
    try {
      accessSync(self, constants.X_OK);
      return self;
    } catch {
      // not directly executable (node dist/guard.cjs): rely on PATH
    }
  }
  return 'guard';
}
