/**
 * The one URL form rules and targets are compared in (SPEC §14): scheme and
 * host lower-case (normalize-host.ts), the scheme's default port (https
 * 443, http 80) dropped, a trailing `.` of the host dropped, an empty or
 * `/` path dropped. Userinfo is dropped too: it names who connects, not
 * where (a rule on `https://prod.example.com*` must not miss
 * `https://someone@prod.example.com`).
 *
 * The rest is read as the tools read it, so that another spelling of the
 * same server is the same word:
 * - the port is a decimal number: Go (kubectl) dials 18766 for `:018766`,
 *   and curl (git) 443 for `:0443`;
 * - the query and the fragment are dropped: kubectl sends `-s https://prod#x`
 *   and `https://prod?x=1` to `https://prod/api`, and curl sends git's
 *   `…/prod.git#x` to `/prod.git`;
 * - the path has its unreserved characters percent-decoded (git hands a
 *   helper `path=acme/x/../prod.git` for `acme/x/%2e%2e/prod.git`), repeated
 *   `/` collapsed and dot segments removed (kubectl requests `/y/api` for
 *   `/x/../y` and `/a/b/api` for `/a//b`; servers resolve what git passes
 *   through unchanged), and a trailing `/` dropped (kubectl requests `/x/api`
 *   for `/x/` and `/api` for `//`; git sends no trailing `/` in a path).
 *
 * Numeric hosts stay as written: Go looks `127.1` up in DNS rather than
 * dialling 127.0.0.1.
 *
 * Textual on purpose: the same function normalises a rule word that holds
 * globs (`https://*.prod.example.com*`), which WHATWG URL parsing would
 * refuse or re-encode.
 *
 * @see https://www.rfc-editor.org/rfc/rfc3986#section-6.2.2 (syntax-based normalisation)
 * @see https://www.rfc-editor.org/rfc/rfc3986#section-5.2.4 (remove dot segments)
 * @see https://www.rfc-editor.org/rfc/rfc3986#section-6.2.3 (scheme-based normalisation)
 */
import { normalizeHost } from './normalize-host.ts';

const URL_SHAPE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s;
const DEFAULT_PORTS: Readonly<Record<string, string>> = { https: '443', http: '80' };
const UNRESERVED = /[A-Za-z0-9._~-]/;

/** Whether a word is written as a URL (`scheme://…`). */
export function looksLikeUrl(word: string): boolean {
  return URL_SHAPE.test(word);
}

/**
 * A port as the number it is (`0443` → `443`), empty when it is the
 * scheme's default (`defaultPort`) or not given. A port that is no number
 * (a rule's glob) is kept as written.
 */
export function normalizePort(port: string, defaultPort: string | undefined): string {
  if (!/^[0-9]+$/.test(port)) return port;
  const number = port.replace(/^0+(?=[0-9])/, '');
  return number === defaultPort ? '' : number;
}

/** Unreserved characters decoded, other escapes in upper case, `//` collapsed, dot segments removed (RFC 3986 §6.2.2, §5.2.4). */
function normalizePath(path: string): string {
  const decoded = path.replace(/%[0-9A-Fa-f]{2}/g, (escape) => {
    const char = String.fromCharCode(Number.parseInt(escape.slice(1), 16));
    return UNRESERVED.test(char) ? char : escape.toUpperCase();
  });
  const segments = decoded.split(/\/+/);
  const kept: string[] = [];
  // segments[0] is what comes before the first `/`: empty, as the path follows the authority.
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment === '.' || segment === '..') {
      if (segment === '..') kept.pop();
      if (i === segments.length - 1) kept.push(''); // `/a/b/..` is `/a/`
    } else {
      kept.push(segment);
    }
  }
  return `${segments[0]}/${kept.join('/')}`;
}

/** `tail`: the rule word goes on after the URL (globs, or what a rule writes after `?`): a trailing `/` means something there. */
function normalizeParts(shape: RegExpExecArray, rest: string, tail: boolean): string {
  const scheme = shape[1]!.toLowerCase();
  const authority = shape[2]!;
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  let host = hostPort;
  let port = '';
  // `[::1]:443`: the port follows the bracket; `host:443`: the last colon (a bare IPv6 address is not valid here).
  const portAt = hostPort.startsWith('[') ? hostPort.indexOf(']:') + 1 : hostPort.lastIndexOf(':');
  if (portAt > 0) {
    host = hostPort.slice(0, portAt);
    port = hostPort.slice(portAt + 1);
  }
  port = normalizePort(port, DEFAULT_PORTS[scheme]);
  let path = rest === '' ? '' : normalizePath(rest);
  if (path === '/' || (!tail && path.endsWith('/'))) path = path.slice(0, -1);
  return `${scheme}://${normalizeHost(host)}${port ? `:${port}` : ''}${path}`;
}

/** The normalised form of a URL, or undefined when `text` is not `scheme://…`. */
export function normalizeUrl(text: string): string | undefined {
  const shape = URL_SHAPE.exec(text);
  if (!shape) return undefined;
  const rest = shape[3]!;
  const end = rest.search(/[?#]/);
  return normalizeParts(shape, end < 0 ? rest : rest.slice(0, end), false);
}

/**
 * A rule word that is a URL, or a URL followed by `*` (`https://prod.example.com:443*`):
 * the URL part normalised, the trailing globs kept. Other words are returned unchanged.
 * A `?` or `#` in a rule word is kept as written with what follows: it is no query
 * the rule's author meant dropped (guard's globs are `*` and `**` only), so it stays
 * literal rather than silently narrowing the rule to what precedes it.
 */
export function normalizeUrlGlob(word: string): string {
  const stars = /\**$/.exec(word)![0];
  const url = word.slice(0, word.length - stars.length);
  const shape = URL_SHAPE.exec(url);
  if (!shape) return word;
  const rest = shape[3]!;
  const end = rest.search(/[?#]/);
  const query = end < 0 ? '' : rest.slice(end);
  return normalizeParts(shape, end < 0 ? rest : rest.slice(0, end), stars !== '' || query !== '') + query + stars;
}

/**
 * A kube API server as kubectl reaches it: a server written without a
 * scheme (`-s prod.example.com`, `server: 10.0.0.1:6443`) is plain http —
 * client-go's DefaultServerURL; kubectl 1.32 requests
 * `http://prod.example.com/api` even with a certificate authority set —
 * then normalised as any URL.
 */
export function normalizeKubeServer(server: string): string {
  return normalizeUrl(looksLikeUrl(server) ? server : `http://${server}`) ?? server;
}
