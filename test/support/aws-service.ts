/**
 * An AWS service stand-in on 127.0.0.1 that accepts a request only when it
 * is signed (Signature Version 4) with credentials the STS stand-in issued:
 * its `Authorization` names one of those access keys, `X-Amz-Security-Token`
 * is that key's session token, and the signature verifies with that key's
 * secret. That proves a real client (the aws CLI) used exactly what guard
 * handed out. It answers `sts get-caller-identity` (GetCallerIdentity) with
 * the assumed role, as STS does.
 *
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';

export interface IssuedCredential {
  secretAccessKey: string;
  sessionToken: string;
  roleArn: string;
  roleSessionName: string;
  account: string;
  expiresAt: number;
  sub: string;
}

export interface ServiceRequest {
  status: number;
  accessKeyId?: string;
  /** Why a request was refused. */
  why?: string;
}

export interface AwsService {
  url: string;
  requests: ServiceRequest[];
  stop(): Promise<void>;
}

const sha256 = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
/** RFC 3986 encoding, as SigV4 wants it (unreserved characters stay). */
const encode = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The SigV4 signature of a request, recomputed with `secret`. */
function signature(req: IncomingMessage, body: string, signedHeaders: string[], amzDate: string, scope: string, secret: string): string {
  const url = new URL(req.url ?? '/', 'http://stand-in');
  const path = url.pathname.split('/').map((segment) => encode(decodeURIComponent(segment))).join('/') || '/';
  const query = [...url.searchParams].map(([k, v]) => `${encode(k)}=${encode(v)}`).sort().join('&');
  const headers = signedHeaders.map((name) => `${name}:${String(req.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const payloadHash = typeof req.headers['x-amz-content-sha256'] === 'string' ? req.headers['x-amz-content-sha256'] : sha256(body);
  const canonical = [req.method, path, query, headers, signedHeaders.join(';'), payloadHash].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const [date, region, service, terminator] = scope.split('/');
  let key = hmac(`AWS4${secret}`, date!);
  for (const part of [region!, service!, terminator!]) key = hmac(key, part);
  return createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
}

/** Checks a request's SigV4 against the issued credentials: the credential it used, or why not. */
function verify(req: IncomingMessage, body: string, issued: ReadonlyMap<string, IssuedCredential>): { accessKeyId: string; credential: IssuedCredential } | { why: string } {
  const auth = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/([^,\s]+), ?SignedHeaders=([^,\s]+), ?Signature=([0-9a-f]{64})$/.exec(String(req.headers.authorization ?? ''));
  if (!auth) return { why: 'MissingAuthenticationToken' };
  const [, accessKeyId, scope, signed, given] = auth as unknown as [string, string, string, string, string];
  const credential = issued.get(accessKeyId);
  if (!credential) return { why: 'InvalidClientTokenId' };
  if (req.headers['x-amz-security-token'] !== credential.sessionToken) return { why: 'InvalidClientTokenId: wrong or missing session token' };
  if (credential.expiresAt <= Date.now()) return { why: 'ExpiredToken' };
  const signedHeaders = signed.split(';');
  if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date')) return { why: 'SignatureDoesNotMatch: host and x-amz-date must be signed' };
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(scope.split('/')[0]!)) return { why: 'SignatureDoesNotMatch: date' };
  const expected = signature(req, body, signedHeaders, amzDate, scope, credential.secretAccessKey);
  if (!timingSafeEqual(Buffer.from(expected), Buffer.from(given))) return { why: 'SignatureDoesNotMatch' };
  return { accessKeyId, credential };
}

export async function startAwsService(issued: ReadonlyMap<string, IssuedCredential>): Promise<AwsService> {
  const requests: ServiceRequest[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const checked = verify(req, body, issued);
      const xml = (status: number, text: string) => res.writeHead(status, { 'content-type': 'text/xml' }).end(text);
      if ('why' in checked) {
        requests.push({ status: 403, why: checked.why });
        const code = checked.why.split(':')[0];
        xml(403, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${checked.why}</Message></Error><RequestId>0</RequestId></ErrorResponse>`);
        return;
      }
      const action = new URLSearchParams(body).get('Action');
      if (action !== 'GetCallerIdentity') {
        requests.push({ status: 400, accessKeyId: checked.accessKeyId, why: `unsupported action ${action}` });
        xml(400, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>only GetCallerIdentity</Message></Error></ErrorResponse>`);
        return;
      }
      requests.push({ status: 200, accessKeyId: checked.accessKeyId });
      const { account, roleArn, roleSessionName } = checked.credential;
      const roleName = roleArn.split('/').at(-1);
      xml(
        200,
        `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:sts::${account}:assumed-role/${roleName}/${roleSessionName}</Arn><UserId>AROAEXAMPLEROLEID:${roleSessionName}</UserId><Account>${account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>0</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
