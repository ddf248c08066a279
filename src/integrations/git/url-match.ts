/**
 * Which `credential.<url>.*` settings git applies to a request, as git
 * 2.39 decides it (urlmatch.c, credential.c): a `<url>` with a scheme
 * matches when the scheme, the user (if it names one), the host (a `*`
 * label matches any one label), the port (the scheme's default dropped)
 * are the same and its path is a prefix of the request's at a `/`
 * boundary; a `<url>` without one (`example.com`) is a partial credential
 * whose every field must equal the request's. Pure; tested against the
 * real git (test/unit/git-helper-list.test.ts).
 *
 * @see https://git-scm.com/docs/gitcredentials#_credential_contexts
 * @see https://git-scm.com/docs/git-config#Documentation/git-config.txt-httplturlgt
 */
import { normalizePort } from '../../util/normalize-url.ts';

/** What git asks about: from its `protocol`, `host` (with `:port`), `path` and `username` lines. */
export interface CredentialUrl {
  protocol?: string;
  host?: string;
  path?: string;
  username?: string;
}

/** A `credential.<url>` subsection, parsed. */
export interface UrlPattern {
  /** A full URL (urlmatch rules) or a partial credential (equality). */
  full: boolean;
  protocol?: string;
  username?: string;
  /** Lower-case for a full URL, with `*` labels; as written for a partial one. */
  host?: string;
  /** The port, empty for the scheme's default (full URLs only). */
  port: string;
  /** Without leading or trailing `/`. */
  path: string;
}

/** git's own table (urlmatch.c): it knows ftp and ftps besides http and https. */
const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443', ftp: '21', ftps: '990' };

const trimSlashes = (path: string) => path.replace(/^\/+|\/+$/g, '');

/** `host:port` → host and port, read as a number (`:0443` is 443, as git reads it) and the scheme's default dropped. */
function splitPort(hostPort: string, protocol: string | undefined): { host: string; port: string } {
  const match = /^(.*?)(?::(\d*))?$/.exec(hostPort)!;
  return { host: match[1]!.toLowerCase(), port: normalizePort(match[2] ?? '', DEFAULT_PORTS[protocol ?? '']) };
}

/** Parses the `<url>` of `credential.<url>.helper`; undefined for one git would skip with a warning. */
export function parseUrlPattern(text: string): UrlPattern | undefined {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s.exec(text);
  if (scheme) {
    const protocol = scheme[1]!.toLowerCase();
    const rest = scheme[2]!;
    const slash = rest.indexOf('/');
    const authority = slash < 0 ? rest : rest.slice(0, slash);
    const at = authority.lastIndexOf('@');
    const userInfo = at < 0 ? undefined : authority.slice(0, at);
    const { host, port } = splitPort(at < 0 ? authority : authority.slice(at + 1), protocol);
    return { full: true, protocol, ...(userInfo === undefined ? {} : { username: decodeURIComponent(userInfo.split(':')[0]!) }), host, port, path: slash < 0 ? '' : trimSlashes(decodeURIComponent(rest.slice(slash))) };
  }
  // A partial credential: [user@]host[/path], every field compared as written.
  const slash = text.indexOf('/');
  const authority = slash < 0 ? text : text.slice(0, slash);
  const at = authority.lastIndexOf('@');
  if (authority.slice(at + 1) === '') return undefined;
  return { full: false, ...(at < 0 ? {} : { username: authority.slice(0, at) }), host: authority.slice(at + 1), port: '', path: slash < 0 ? '' : trimSlashes(text.slice(slash)) };
}

function hostMatches(host: string, pattern: string): boolean {
  const labels = host.split('.');
  const wanted = pattern.split('.');
  return labels.length === wanted.length && wanted.every((label, i) => label === '*' || label === labels[i]);
}

/** Does the setting of `pattern` apply to the request `url`? */
export function urlMatches(url: CredentialUrl, pattern: UrlPattern): boolean {
  if (!pattern.full) {
    return (pattern.protocol === undefined || pattern.protocol === url.protocol) && pattern.host === url.host && (pattern.path === '' || pattern.path === trimSlashes(url.path ?? '')) && (pattern.username === undefined || pattern.username === url.username);
  }
  if (!url.protocol || pattern.protocol !== url.protocol.toLowerCase() || url.host === undefined) return false;
  if (pattern.username !== undefined && pattern.username !== url.username) return false;
  const { host, port } = splitPort(url.host, url.protocol.toLowerCase());
  if (!hostMatches(host, pattern.host!) || port !== pattern.port) return false;
  const path = trimSlashes(url.path ?? '');
  return pattern.path === '' || path === pattern.path || path.startsWith(`${pattern.path}/`);
}

/** The host part of a request for a pattern: its own `host[:port]`, with `*` labels taken from `other` (or a stand-in). */
function hostFor(pattern: UrlPattern, other: UrlPattern | undefined): string {
  if (!pattern.full) return pattern.host!;
  const theirs = other?.full ? other.host!.split('.') : [];
  const host = pattern.host!.split('.').map((label, i) => (label !== '*' ? label : theirs[i] && theirs[i] !== '*' ? theirs[i] : 'any')).join('.');
  return pattern.port ? `${host}:${pattern.port}` : host;
}

/**
 * A request both patterns apply to (undefined: no pattern, every request),
 * if there is one: the more specific of each part — a `*` label gives way
 * to the other's label, the longer path wins. guard asks "does a helper
 * set for A also answer for what guard serves under B?" of that request.
 */
export function commonUrl(a: UrlPattern | undefined, b: UrlPattern | undefined): CredentialUrl | undefined {
  const first = a ?? b;
  if (!first) return { protocol: 'https', host: 'any.example' };
  const second = a && b ? b : undefined;
  // A partial pattern's host is compared as written: the request takes it from that one.
  const host = first.full && second && !second.full ? hostFor(second, first) : hostFor(first, second);
  const path = [first.path, second?.path ?? ''].sort((x, y) => y.length - x.length)[0]!;
  const username = first.username ?? second?.username;
  const candidate: CredentialUrl = { protocol: first.protocol ?? second?.protocol ?? 'https', host, ...(path ? { path } : {}), ...(username !== undefined ? { username } : {}) };
  return [first, second].every((pattern) => !pattern || urlMatches(candidate, pattern)) ? candidate : undefined;
}
