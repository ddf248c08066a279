/**
 * A real PostgreSQL 15 server for the libpq oracle (RECIPES "A real
 * PostgreSQL server…"): initdb and pg_ctl from the server binaries, on
 * 127.0.0.1 at a free port, its socket in a private folder, trust
 * authentication; run as `postgres` when the tests run as root (the server
 * refuses root). One server per test file; stop() removes it all.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.ts';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface Postgres {
  port: number;
  /** The folder of the server's unix socket. */
  socketDir: string;
  /** The real psql binary (not Debian's pg_wrapper). */
  psql: string;
  /** Runs SQL as the superuser `postgres`. */
  sql(statement: string): string;
  stop(): void;
}

export async function startPostgres(): Promise<Postgres> {
  if (!existsSync(join(PG_BIN, 'pg_ctl'))) throw new Error(`PostgreSQL 15's server binaries are missing from ${PG_BIN} (Debian: apt-get install postgresql-15; scripts/install-system-deps.sh checks for them)`);
  const dir = mkdtempSync(join(tmpdir(), 'guard-pg-'));
  chmodSync(dir, 0o755);
  const root = process.getuid?.() === 0;
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const asServer = (program: string, args: string[]) =>
    root ? execFileSync('runuser', ['-u', 'postgres', '--', join(PG_BIN, program), ...args], { stdio: 'pipe' }) : execFileSync(join(PG_BIN, program), args, { stdio: 'pipe' });
  const port = await freePort();
  asServer('initdb', ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync']);
  asServer('pg_ctl', ['-D', join(dir, 'data'), '-w', '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  const psql = join(PG_BIN, 'psql');
  return {
    port,
    socketDir: dir,
    psql,
    sql: (statement) => execFileSync(psql, ['-X', '-h', dir, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-Atc', statement], { encoding: 'utf8', env: { PATH: process.env.PATH } }),
    stop: () => {
      try {
        asServer('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
