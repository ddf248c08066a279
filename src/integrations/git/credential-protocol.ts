/**
 * git's credential helper protocol (SPEC §9): `key=value` lines on stdin,
 * ended by a blank line or end of input; the answer in the same form. Pure
 * except readCredentialInput, which reads file descriptor 0.
 *
 * @see https://git-scm.com/docs/git-credential#IOFMT
 */
import { readSync } from 'node:fs';
import { GuardError } from '../../errors.ts';
import { isLoopbackHost } from '../../util/net.ts';
import { normalizeUrl } from '../../util/normalize-url.ts';
import { parseInetAton } from '../../util/normalize-host.ts';
import { escapeControl } from '../../util/text.ts';

export const GIT_ACTIONS = ['get', 'store', 'erase'] as const;
export type GitAction = (typeof GIT_ACTIONS)[number];

/** git's url_decode: `%XX` with two hex digits becomes that byte; anything else stays as written (`+` included). */
function urlDecode(text: string): string {
  const bytes: number[] = [];
  const raw = Buffer.from(text, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const hex = raw[i] === 0x25 ? raw.subarray(i + 1, i + 3).toString('latin1') : '';
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else bytes.push(raw[i]!);
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * The URL without its `user[:password]@`, for a message. Everything up to the
 * last `@` goes: a password written unencoded may hold `/`, `?` or `#`, so the
 * authority's end is no safe bound.
 */
export function withoutUserinfo(url: string): string {
  const scheme = url.indexOf('://');
  const start = scheme < 0 ? 0 : scheme + 3;
  const at = url.lastIndexOf('@');
  return at < start ? url : `${url.slice(0, start)}${at + 1 < url.length ? url.slice(at + 1) : '…'}`;
}

/**
 * git's credential_from_url: `proto://[user[:pass]@]host[:port][/path]`,
 * the host ending at the first `/`, `?` or `#`, user and host and path
 * URL-decoded, the path without its leading and trailing slashes. Replaces
 * every field it could set, as git does.
 */
function fieldsFromUrl(fields: Map<string, string>, url: string): void {
  for (const key of ['protocol', 'host', 'path', 'username', 'password']) fields.delete(key);
  const protoEnd = url.indexOf('://');
  if (protoEnd <= 0) throw new GuardError('usage', `git sent a url with no scheme: ${escapeControl(withoutUserinfo(url))}`);
  const rest = url.slice(protoEnd + 3);
  const hostEnd = rest.search(/[/?#]|$/);
  const at = rest.indexOf('@');
  const host = at < 0 || hostEnd <= at ? rest.slice(0, hostEnd) : rest.slice(at + 1, hostEnd);
  if (at >= 0 && at < hostEnd) {
    const colon = rest.indexOf(':');
    fields.set('username', urlDecode(rest.slice(0, colon < 0 || at <= colon ? at : colon)));
  }
  fields.set('protocol', url.slice(0, protoEnd));
  fields.set('host', urlDecode(host));
  const path = urlDecode(rest.slice(hostEnd).replace(/^\/+/, '')).replace(/(?<=.)\/+$/, '');
  if (path) fields.set('path', path);
}

/**
 * Parses git's request as git's credential_read does: the last value of a
 * key wins (of a list key such as `wwwauth[]`, the first is kept), and a
 * `url=` line replaces protocol, host, path and user with the URL's.
 */
export function parseCredentialRequest(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') break;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === 'url') fieldsFromUrl(fields, value);
    else if (!key.endsWith('[]') || !fields.has(key)) fields.set(key, value);
  }
  return fields;
}

/**
 * The words rules match: `PROTOCOL://HOST[/PATH]`, normalised as SPEC §14
 * says (scheme and host lower-case, the default port and a trailing dot
 * dropped; the path as git sends it, decoded). git sends the path only with
 * credential.useHttpPath; without it `pathKnown` is false and the token
 * serves every repository of the host. A token is never sent in clear
 * text: plain http only to this machine.
 */
export function credentialTarget(fields: ReadonlyMap<string, string>): { url: string; pathKnown: boolean } {
  const protocol = fields.get('protocol')?.toLowerCase();
  const host = fields.get('host');
  if (!protocol || !host) throw new GuardError('usage', 'git sent no protocol or host; guard git-credential is meant to be run by git (credential.helper)');
  // curl, git's transport, reads a numeric host as inet_aton does (127.1 is 127.0.0.1), as libpq does; Go's URLs do not.
  const [, name, port] = /^(.*?)(:\d+)?$/.exec(host)!;
  const numeric = parseInetAton(name!.toLowerCase());
  const url = normalizeUrl(`${protocol}://${numeric ?? name}${port ?? ''}`) ?? `${protocol}://${host}`;
  const hostname = url.slice(url.indexOf('://') + 3).replace(/:\d+$/, '');
  if (protocol !== 'https' && !(protocol === 'http' && isLoopbackHost(hostname))) {
    throw new GuardError('auth', `refusing to hand a token to ${escapeControl(`${protocol}://${host}`)}: only https (or http on this machine) can carry it safely`);
  }
  const path = fields.get('path')?.replace(/^\/+/, '');
  return { url: path ? `${url}/${path}` : url, pathKnown: path !== undefined };
}

/** The answer to `get`: username, password and, so git does not cache past it, password_expiry_utc (git ≥ 2.41). */
export function formatCredential(username: string, password: string, expiresAt: number): string {
  for (const value of [username, password]) {
    // eslint-disable-next-line no-control-regex
    if (/[\u0000\n\r]/.test(value)) throw new GuardError('auth', 'the credential holds a line break or NUL, which git cannot take');
  }
  return `username=${username}\npassword=${password}\npassword_expiry_utc=${Math.floor(expiresAt / 1000)}\n`;
}

/** Reads git's request from stdin up to the blank line or the end of input (git closes the pipe after it). */
export function readCredentialInput(fd = 0): string {
  const buffer = Buffer.alloc(4096);
  let text = '';
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10); // a non-blocking stdin with nothing yet: wait, don't spin
        continue;
      }
      if ((error as NodeJS.ErrnoException).code === 'EOF') return text;
      throw new GuardError('io', `cannot read git's request on stdin (${(error as NodeJS.ErrnoException).code ?? 'read failed'}); guard git-credential is meant to be run by git (credential.helper)`, { cause: error });
    }
    if (n === 0) return text;
    text += buffer.toString('utf8', 0, n);
    if (text.includes('\n\n') || text.startsWith('\n') || text.length > 65_536) return text;
  }
}
