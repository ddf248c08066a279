/**
 * The one form a host name is compared in (SPEC §14), shared by URL hosts
 * and libpq hosts: lower-case, trailing `.` dropped, and — where the tool
 * reads numbers as inet_aton(3) does — a numeric IPv4 address as a dotted
 * quad. libpq's getaddrinfo connects `-h 127.1`, `-h 2130706433`,
 * `-h 0177.0.0.1` and `-h 0x7f.1` all to 127.0.0.1 (psql: `connection to
 * server at "127.1" (127.0.0.1)`); Go (kubectl) does not: it looks `127.1`
 * up in DNS (`lookup 127.1: no such host`), so URL hosts leave numbers as
 * written unless the caller asks (`inetAton`).
 *
 * Every trailing `.` goes, not only one, and before the number is read:
 * `prod..` and `127.1.` are names no resolver finds, so merging them with
 * `prod` and 127.0.0.1 only makes more rules apply, and it keeps the
 * normaliser idempotent (a value normalised by its resolver is normalised
 * again by the matcher).
 *
 * @see https://man7.org/linux/man-pages/man3/inet_aton.3.html
 */

/** Whether the normaliser reads numeric IPv4 spellings as inet_aton does. */
export interface HostOptions {
  inetAton?: boolean;
}

/** `127.1` → `127.0.0.1`, as inet_aton reads it exactly (no trailing dot or space); undefined for anything else. */
export function parseInetAton(text: string): string | undefined {
  // Cheap reject first: only digits, dots and hex spellings can be an address.
  if (!/^[0-9][0-9a-fA-FxX.]*$/.test(text)) return undefined;
  const parts = text.split('.');
  if (parts.length > 4) return undefined;
  const numbers: number[] = [];
  for (const part of parts) {
    const number = /^0[xX][0-9a-fA-F]+$/.test(part) ? Number.parseInt(part.slice(2), 16) : /^0[0-7]*$/.test(part) ? Number.parseInt(part, 8) : /^[1-9][0-9]*$/.test(part) ? Number(part) : Number.NaN;
    if (Number.isNaN(number)) return undefined;
    numbers.push(number);
  }
  // The last part fills the bytes the others leave: a (32 bits), a.b (8.24), a.b.c (8.8.16), a.b.c.d.
  const last = numbers.pop()!;
  if (numbers.some((number) => number > 0xff) || last >= 2 ** (8 * (4 - numbers.length))) return undefined;
  const bytes = [...numbers];
  for (let shift = 8 * (3 - numbers.length); shift >= 0; shift -= 8) bytes.push(Math.floor(last / 2 ** shift) % 256);
  return bytes.join('.');
}

/** A host in the one form rules and targets are compared in. */
export function normalizeHost(host: string, options: HostOptions = {}): string {
  const name = host.toLowerCase().replace(/\.+$/, '');
  return (options.inetAton && parseInetAton(name)) || name;
}
