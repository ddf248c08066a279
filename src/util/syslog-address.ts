/**
 * `audit.syslog` addresses (SPEC §16): `unix:PATH` (the local syslog socket,
 * `unix:/dev/log` for `true`), `udp://HOST:PORT` (RFC 5426) or
 * `tcp://HOST:PORT` (RFC 6587). Pure: the config parser checks them, the
 * sink reads them again from the same text.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5426
 * @see https://www.rfc-editor.org/rfc/rfc6587
 */

export type SyslogAddress = { kind: 'unix'; path: string } | { kind: 'udp' | 'tcp'; host: string; port: number };

/** What `audit.syslog: true` means: the local socket syslog(3) writes to. */
export const DEFAULT_SYSLOG = 'unix:/dev/log';

/** The address, or a one-line reason it is not one. */
export function parseSyslogAddress(text: string): SyslogAddress | { problem: string } {
  if (text.startsWith('unix:')) {
    const path = text.slice('unix:'.length);
    return path.startsWith('/') && !path.includes('\0') ? { kind: 'unix', path } : { problem: 'a unix: address needs an absolute path (unix:/dev/log)' };
  }
  const match = /^(udp|tcp):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
  if (!match) return { problem: 'use unix:/PATH, udp://HOST:PORT or tcp://HOST:PORT' };
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return { problem: `port ${match[3]} is not between 1 and 65535` };
  return { kind: match[1] as 'udp' | 'tcp', host: match[2]!.replace(/^\[(.*)\]$/, '$1'), port };
}
