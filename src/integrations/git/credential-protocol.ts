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
import { escapeControl } from '../../util/text.ts';

export const GIT_ACTIONS = ['get', 'store', 'erase'] as const;
export type GitAction = (typeof GIT_ACTIONS)[number];

/** Parses git's request; of a repeated key (`wwwauth[]`) the first value is kept. */
export function parseCredentialRequest(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') break;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    if (!fields.has(key)) fields.set(key, line.slice(eq + 1));
  }
  return fields;
}

/**
 * The words rules match: `PROTOCOL://HOST[/PATH]` (the path only when git
 * sends one, i.e. with credential.useHttpPath). A token is never sent in
 * clear text: plain http only to this machine.
 */
export function credentialTarget(fields: ReadonlyMap<string, string>): string {
  const protocol = fields.get('protocol');
  const host = fields.get('host');
  if (!protocol || !host) throw new GuardError('usage', 'git sent no protocol or host; guard git-credential is meant to be run by git (credential.helper)');
  if (protocol !== 'https' && !(protocol === 'http' && isLoopbackHost(host.replace(/:\d+$/, '')))) {
    throw new GuardError('auth', `refusing to hand a token to ${escapeControl(`${protocol}://${host}`)}: only https (or http on this machine) can carry it safely`);
  }
  const path = fields.get('path');
  return `${protocol}://${host}${path ? `/${path.replace(/^\/+/, '')}` : ''}`;
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
      throw error;
    }
    if (n === 0) return text;
    text += buffer.toString('utf8', 0, n);
    if (text.includes('\n\n') || text.startsWith('\n') || text.length > 65_536) return text;
  }
}
