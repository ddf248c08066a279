/**
 * git over smart HTTP for the tests: `git http-backend` run as a CGI
 * program behind HTTP Basic auth that accepts only an access token the
 * IdP's userinfo endpoint accepts as the password (so a stale, revoked or
 * made-up token is refused, like a real git host that takes OAuth tokens).
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface GitServer {
  url: string;
  /** Each request: path, who (username) and whether the password was accepted. */
  requests: Array<{ path: string; username?: string; accepted: boolean; password?: string }>;
  close(): Promise<void>;
}

async function tokenAccepted(issuer: string, token: string): Promise<boolean> {
  const response = await fetch(`${issuer}/me`, { headers: { authorization: `Bearer ${token}` } });
  return response.status === 200;
}

function runBackend(req: IncomingMessage, res: ServerResponse, root: string, user: string): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const cgi = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_USER: user,
      REMOTE_ADDR: '127.0.0.1',
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
    },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  req.pipe(cgi.stdin);
  let head = Buffer.alloc(0);
  let headersDone = false;
  cgi.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else res.setHeader(name, value);
    }
    res.writeHead(status);
    res.write(head.subarray(end + 4));
  });
  cgi.once('close', () => res.end());
}

export async function startGitServer(root: string, issuer: string): Promise<GitServer> {
  const requests: GitServer['requests'] = [];
  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const [username, ...rest] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':') : [];
    const password = rest.join(':');
    const accepted = Boolean(password) && (await tokenAccepted(issuer, password));
    requests.push({ path, username, accepted, ...(password ? { password } : {}) });
    if (!accepted) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="guard test git"' }).end('unauthorized\n');
      return;
    }
    runBackend(req, res, root, username!);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
