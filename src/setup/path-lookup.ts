/** Finding programs on PATH the way a shell would, without running them. */
import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

/** The default search path when PATH is unset (what execvp uses). */
const DEFAULT_PATH = '/usr/bin:/bin';

function executableFile(path: string): boolean {
  try {
    // No exception for the usual miss (a PATH folder without the program): a thrown ENOENT costs a stack trace each.
    if (!statSync(path, { throwIfNoEntry: false })?.isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The first executable file called `name` in the PATH folders, or
 * undefined. Relative PATH entries depend on the working folder and are
 * skipped (never trust them), unless `cwd` is given: then the search is
 * exactly what execvp will do when guard runs `name` there.
 */
export function findOnPath(name: string, env: NodeJS.ProcessEnv, options: { cwd?: string } = {}): string | undefined {
  for (const dir of (env.PATH ?? (options.cwd === undefined ? '' : DEFAULT_PATH)).split(':')) {
    if (options.cwd === undefined && (!dir || !isAbsolute(dir))) continue;
    const candidate = options.cwd === undefined ? join(dir, name) : resolve(options.cwd, dir, name);
    if (executableFile(candidate)) return candidate;
  }
  return undefined;
}

/** Will running `program` (a name on PATH, or a path with a `/`) from `cwd` find an executable file? */
export function canRun(program: string, env: NodeJS.ProcessEnv, cwd: string): boolean {
  if (program.includes('/')) return executableFile(resolve(cwd, program));
  return program !== '' && findOnPath(program, env, { cwd }) !== undefined;
}
