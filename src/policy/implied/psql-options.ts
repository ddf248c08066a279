/**
 * psql 15's command line as its startup.c hands it to getopt_long: the
 * optstring and the long options (test/unit/psql-target.test.ts checks them
 * against the installed psql's --help). Which option fills which libpq
 * keyword is psql.ts's business.
 *
 * @see https://github.com/postgres/postgres/blob/REL_15_STABLE/src/bin/psql/startup.c
 */
import type { LongOption } from './getopt-long.ts';

export const PSQL_OPTSTRING = 'aAbc:d:eEf:F:h:HlL:no:p:P:qR:sStT:U:v:VwWxXz?01';

const none = (name: string, key: string): LongOption => ({ name, argument: 'none', key });
const required = (name: string, key: string): LongOption => ({ name, argument: 'required', key });

export const PSQL_LONG_OPTIONS: readonly LongOption[] = [
  none('echo-all', 'a'),
  none('no-align', 'A'),
  required('command', 'c'),
  required('dbname', 'd'),
  none('echo-queries', 'e'),
  none('echo-errors', 'b'),
  none('echo-hidden', 'E'),
  required('file', 'f'),
  required('field-separator', 'F'),
  none('field-separator-zero', 'z'),
  required('host', 'h'),
  none('html', 'H'),
  none('list', 'l'),
  required('log-file', 'L'),
  none('no-readline', 'n'),
  none('single-transaction', '1'),
  required('output', 'o'),
  required('port', 'p'),
  required('pset', 'P'),
  none('quiet', 'q'),
  required('record-separator', 'R'),
  none('record-separator-zero', '0'),
  none('single-step', 's'),
  none('single-line', 'S'),
  none('tuples-only', 't'),
  required('table-attr', 'T'),
  required('username', 'U'),
  required('set', 'v'),
  required('variable', 'v'),
  none('version', 'V'),
  none('no-password', 'w'),
  none('password', 'W'),
  none('expanded', 'x'),
  none('no-psqlrc', 'X'),
  { name: 'help', argument: 'optional', key: '?' },
  none('csv', '?csv'),
];
