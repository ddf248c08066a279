/**
 * libpq as the oracle for masking its connection strings (STYLE 13): a
 * fake PostgreSQL server asks real psql for a cleartext password and
 * records what psql sends — the password as libpq parsed it from the
 * conninfo or URI. Whatever psql sends must not survive maskArgv.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskArgv } from '../../src/audit/mask-argv.ts';

/** Answers SSL requests with N, a startup with AuthenticationCleartextPassword, a password with an error. */
function passwordServer(seen: string[]): Server {
  return createServer((socket) => {
    let buffer = Buffer.alloc(0);
    let started = false;
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!started) {
          if (buffer.length < 8 || buffer.length < buffer.readInt32BE(0)) return;
          const code = buffer.readInt32BE(4);
          buffer = buffer.subarray(buffer.readInt32BE(0));
          if (code === 80877103 || code === 80877104) socket.write('N'); // SSLRequest, GSSENCRequest
          else {
            started = true;
            const ask = Buffer.alloc(9);
            ask.write('R');
            ask.writeInt32BE(8, 1);
            ask.writeInt32BE(3, 5);
            socket.write(ask);
          }
          continue;
        }
        if (buffer.length < 5 || buffer.length < buffer.readInt32BE(1) + 1) return;
        const type = String.fromCharCode(buffer[0]!);
        const body = buffer.subarray(5, buffer.readInt32BE(1) + 1);
        buffer = buffer.subarray(buffer.readInt32BE(1) + 1);
        if (type !== 'p') continue;
        seen.push(body.subarray(0, body.length - 1).toString());
        const error = Buffer.from('SFATAL\0C28P01\0Mno\0\0');
        const head = Buffer.alloc(5);
        head.write('E');
        head.writeInt32BE(error.length + 4, 1);
        socket.end(Buffer.concat([head, error]));
      }
    });
  });
}

const seen: string[] = [];
let server: Server;
let port = 0;
beforeAll(async () => {
  server = passwordServer(seen);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** The password psql sends for a connection string. */
function psqlPassword(conninfo: string): Promise<string | undefined> {
  const before = seen.length;
  return new Promise((resolve) => {
    execFile('psql', ['-w', '-c', 'select 1', conninfo], { env: { PATH: process.env.PATH, PGCONNECT_TIMEOUT: '5' } }, () => resolve(seen[before]));
  });
}

describe('libpq connection strings, as psql reads them', () => {
  const conninfo = (password: string) => `host=127.0.0.1 port=${port} user=bob dbname=x sslmode=disable ${password}`;
  const uri = (userinfo: string) => `postgres://${userinfo}@127.0.0.1:${port}/x?sslmode=disable`;
  it.each([
    ['white space around =', () => conninfo('password = hunter2xy'), 'hunter2xy'],
    ['white space after =', () => conninfo('password= hunter2xy'), 'hunter2xy'],
    ['a quoted value with an escaped quote', () => conninfo("password ='it\\'s secret pw'"), "it's secret pw"],
    ['an unquoted value with an escaped space', () => conninfo('password=sec\\ ret'), 'sec ret'],
    ['a quoted value with an escaped backslash', () => conninfo("password='se\\\\c ret'"), 'se\\c ret'],
    ['a value holding ;', () => conninfo('password=abc;defgh'), 'abc;defgh'],
    ['a URI password holding ?', () => uri('bob:pa?ssword'), 'pa?ssword'],
    ['a URI password holding #', () => uri('bob:pa#ssword'), 'pa#ssword'],
  ])('%s', async (_what, make, expected) => {
    const text = make();
    // The oracle first: this is the password libpq sends.
    expect(await psqlPassword(text)).toBe(expected);
    const [, masked] = maskArgv(['psql', text]);
    expect(masked).toContain('****');
    for (const part of expected.split(/[\s';#?]+/).filter((p) => p.length >= 3)) expect(masked).not.toContain(part);
    expect(masked).toContain(text.startsWith('postgres://') ? `@127.0.0.1:${port}/x` : 'host=127.0.0.1'); // what is no secret stays
  });
});
