/**
 * One host form for rules and targets (SPEC §14): lower-case, trailing `.`
 * dropped, and numeric IPv4 spellings read as libpq's getaddrinfo reads
 * them (inet_aton). The real psql is the oracle: its error names the
 * address it connected to (`connection to server at "127.1" (127.0.0.1)`),
 * or says it could not translate the name.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { normalizeHost, parseInetAton } from '../../src/util/normalize-host.ts';

/** The address psql connects to for `-h host` (port 1 refuses at once on loopback), or undefined when it finds none. */
function psqlAddress(host: string): string | undefined {
  const run = spawnSync('psql', ['-h', host, '-p', '1', '-w', '-c', ''], { encoding: 'utf8', env: { PATH: process.env.PATH, PGCONNECT_TIMEOUT: '2' } });
  const connected = /connection to server at "[^"]*" \(([^)]*)\)/.exec(run.stderr);
  if (connected) return connected[1];
  expect(run.stderr).toMatch(/could not translate host name/);
  return undefined;
}

describe('numeric IPv4 spellings, as inet_aton reads them (psql as the oracle)', () => {
  it.each([
    ['127.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['0X7F.0.1', '127.0.0.1'],
    ['127.000.000.001', '127.0.0.1'],
    ['017700000001', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0', '0.0.0.0'],
    ['4294967295', '255.255.255.255'],
    ['10.0.5', '10.0.0.5'],
    ['167772165', '10.0.0.5'],
    // Not numbers to inet_aton: libpq looks them up as names.
    ['127.0.0.1.', undefined],
    ['1.2.3.256', undefined],
    ['4294967296', undefined],
    ['08.0.0.1', undefined],
    ['0x', undefined],
    ['1.2.3.4.5', undefined],
    ['127.1 ', undefined],
  ])('%j → %s', (host, address) => {
    expect(parseInetAton(host)).toBe(address);
    if (!address?.startsWith('10.')) expect(psqlAddress(host)).toBe(address);
  });

  it('generated spellings of loopback addresses connect where guard says (property, psql as the oracle)', () => {
    const spell = (value: number, base: number) => (base === 16 ? `0x${value.toString(16)}` : base === 8 ? `0${value.toString(8)}` : String(value));
    const spelling = fc.tuple(fc.integer({ min: 0, max: 0xffffff }), fc.integer({ min: 1, max: 4 }), fc.array(fc.constantFrom(8, 10, 16), { minLength: 4, maxLength: 4 })).map(([low, parts, bases]) => {
      const bytes = [127, low >> 16, (low >> 8) & 0xff, low & 0xff];
      // The last part holds the bytes the others leave.
      const last = bytes.slice(parts - 1).reduce((sum, byte) => sum * 256 + byte, 0);
      return { text: [...bytes.slice(0, parts - 1).map((byte, i) => spell(byte, bases[i]!)), spell(last, bases[3]!)].join('.'), address: bytes.join('.') };
    });
    fc.assert(
      fc.property(spelling, ({ text, address }) => {
        expect(parseInetAton(text)).toBe(address);
        expect(psqlAddress(text)).toBe(address);
      }),
      { numRuns: 25 },
    );
  });
});

describe('normalizeHost', () => {
  it.each([
    ['Prod-DB.Example.COM', {}, 'prod-db.example.com'],
    ['prod-db.example.com.', {}, 'prod-db.example.com'],
    ['10.0.5', { inetAton: true }, '10.0.0.5'],
    ['167772165', { inetAton: true }, '10.0.0.5'],
    // Go (kubectl) looks `127.1` up in DNS: a URL host keeps it.
    ['127.1', {}, '127.1'],
    ['[FE80::1]', {}, '[fe80::1]'],
  ])('%j %j → %j', (host, options, expected) => {
    expect(normalizeHost(host, options)).toBe(expected);
  });

  it('is idempotent (property)', () => {
    const host = fc.oneof(fc.stringMatching(/^[A-Za-z0-9.-]{1,20}$/), fc.stringMatching(/^(0x)?[0-9a-f]{1,4}(\.[0-9a-f]{1,4}){0,3}\.?$/));
    fc.assert(
      fc.property(host, fc.boolean(), (text, inetAton) => {
        const once = normalizeHost(text, { inetAton });
        expect(normalizeHost(once, { inetAton })).toBe(once);
      }),
    );
  });
});
