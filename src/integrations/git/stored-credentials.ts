/**
 * The lines of a `git credential-store` file (`~/.git-credentials`,
 * `$XDG_CONFIG_HOME/git/credentials`): one URL a line,
 * `https://user:password@host[/path]`, percent-encoded. Read to find a
 * token guard handed out that `store` kept in plain text; the password
 * itself never leaves this file: only where it goes and who issued it.
 * Pure.
 *
 * @see https://git-scm.com/docs/git-credential-store#_storage_format
 */
import type { CredentialUrl } from './url-match.ts';

export interface StoredCredential {
  /** 1-based line number in the file. */
  line: number;
  url: CredentialUrl & { protocol: string; host: string };
  /** `iss` of the password when it is a JWT (an OAuth access or ID token). */
  issuer?: string;
}

/** The `iss` claim of a JWT-shaped string, if it has one. */
function jwtIssuer(text: string): string | undefined {
  const parts = text.split('.');
  if (parts.length !== 3 || !parts[0]!.startsWith('eyJ')) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { iss?: unknown };
    return typeof payload.iss === 'string' ? payload.iss : undefined;
  } catch {
    return undefined;
  }
}

const decode = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/**
 * One line as git's credential_from_url reads it: `protocol://`, then up to
 * the first `/`, `?` or `#` the authority, whose first `@` ends the
 * `user:password`; every part percent-decoded (store writes `127.0.0.1%3a8080`).
 */
function parseLine(line: string): { url: StoredCredential['url']; password: string } | undefined {
  const scheme = /^([^:/]+):\/\/(.*)$/s.exec(line);
  if (!scheme) return undefined;
  const rest = scheme[2]!;
  const end = rest.search(/[/?#]|$/);
  const authority = rest.slice(0, end);
  const at = authority.indexOf('@');
  if (at < 0) return undefined;
  const userInfo = authority.slice(0, at);
  const colon = userInfo.indexOf(':');
  if (colon < 0) return undefined;
  const host = decode(authority.slice(at + 1));
  const path = decode(rest.slice(end).replace(/^\/+/, '').replace(/\/+$/, ''));
  return { url: { protocol: scheme[1]!, host, ...(path ? { path } : {}) }, password: decode(userInfo.slice(colon + 1)) };
}

/** The lines that hold a password, with where it goes; lines git would skip are skipped. */
export function parseStoredCredentials(text: string): StoredCredential[] {
  const found: StoredCredential[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    const parsed = parseLine(line.trim());
    if (!parsed || !parsed.password || !parsed.url.host) continue;
    const issuer = jwtIssuer(parsed.password);
    found.push({ line: i + 1, url: parsed.url, ...(issuer ? { issuer } : {}) });
  }
  return found;
}
