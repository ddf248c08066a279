/**
 * psql's (libpq's) target (SPEC §14): the hosts, database and user it will
 * connect to. Pure: the environment comes through the injected reader.
 */
import { spellings } from '../flag-aliases.ts';
import type { ImpliedReader, ImpliedWord } from './implied-types.ts';
import { pgTargetOf } from './pg-connection.ts';
import { needsImplying } from './typed-flag.ts';

/**
 * psql: PGHOST, PGDATABASE and PGUSER unless typed, and what a connection
 * string in argv names. Whether a word is the connection string or, say,
 * the text of `-c` is not always sure, so the environment's values are kept
 * beside it (more rules match, never fewer).
 */
export function psqlWords(argv: readonly string[], needed: ReadonlySet<string>, env: ImpliedReader['env']): ImpliedWord[] {
  const words: ImpliedWord[] = [];
  for (const word of argv.slice(1)) {
    const target = pgTargetOf(word);
    if (!target) continue;
    const source = 'a connection string in argv';
    if (needed.has('--host')) for (const host of target.host ?? []) words.push({ name: '--host', value: host, source, caseless: true });
    if (needed.has('--dbname') && target.dbname) words.push({ name: '--dbname', value: target.dbname, source });
    if (needed.has('--username') && target.user) words.push({ name: '--username', value: target.user, source });
  }
  for (const [name, variable] of [['--host', 'PGHOST'], ['--dbname', 'PGDATABASE'], ['--username', 'PGUSER']] as const) {
    const set = env[variable];
    if (needed.has(name) && set && needsImplying(argv, spellings(argv, name))) words.push({ name, value: set, source: variable, ...(name === '--host' ? { caseless: true } : {}) });
  }
  return words;
}
