/**
 * Flags that are one flag under two spellings, by program: a rule on
 * `--host=*prod*` must match `psql -h prod-db` too. Only the programs whose
 * target guard reads (SPEC §2, implied words), from their own manuals.
 *
 * @see https://www.postgresql.org/docs/current/app-psql.html
 * @see https://kubernetes.io/docs/reference/kubectl/kubectl/
 */
import { basename } from 'node:path';

const GROUPS: Readonly<Record<string, ReadonlyArray<readonly string[]>>> = {
  kubectl: [['--namespace', '-n'], ['--server', '-s']],
  helm: [['--namespace', '-n']],
  psql: [['--host', '-h'], ['--dbname', '-d'], ['--username', '-U'], ['--port', '-p']],
};

const cache = new Map<string, ReadonlyMap<string, readonly string[]>>();
const NONE: ReadonlyMap<string, readonly string[]> = new Map();

/** For argv's program: each flag name → its other spellings. */
export function flagAliases(argv: readonly string[]): ReadonlyMap<string, readonly string[]> {
  const program = basename(argv[0] ?? '');
  const groups = GROUPS[program];
  if (!groups) return NONE;
  let map = cache.get(program);
  if (!map) {
    map = new Map(groups.flatMap((group) => group.map((name) => [name, group.filter((other) => other !== name)] as const)));
    cache.set(program, map);
  }
  return map;
}

/** Programs parsed with getopt_long, which accepts any unambiguous prefix of a long flag. */
const ABBREVIATING = new Set(['psql']);

/** Whether argv's program accepts `--ho` for `--host`. */
export function abbreviatesLongFlags(argv: readonly string[]): boolean {
  return ABBREVIATING.has(basename(argv[0] ?? ''));
}

/** A flag name with its other spellings for argv's program. */
export function spellings(argv: readonly string[], name: string): readonly string[] {
  return [name, ...(flagAliases(argv).get(name) ?? [])];
}
