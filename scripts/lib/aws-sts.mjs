// An AWS STS stand-in on 127.0.0.1 for the tests and the benchmark: it
// answers AssumeRoleWithWebIdentity as STS does (the query API's form POST,
// the XML answer, the ErrorResponse errors) after checking the web identity
// token like an IAM OIDC identity provider and a role's trust policy: the
// signature against the IdP's JWKS, the issuer, the audience (the provider's
// client IDs), the expiry, then the trust policy's `aud` and `sub`. Every
// call gets new credentials, kept in `issued` so that a service stand-in can
// check requests signed with them (test/support/aws-service.ts). It counts
// calls, and can be told to misbehave for the next calls (`faults`).
import { createServer } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify } from 'jose';

const ROLE_ARN = /^arn:aws(?:-[a-z]+)*:iam::(\d{12}):role\/((?:[\w+=,.@-]+\/)*)([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

const xmlText = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const randomText = (alphabet, n) => Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join('');
const glob = (pattern, text) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(text);

/**
 * @param {{ issuer: string, audiences?: string[], trust?: { aud?: string, sub?: string }, clockSkewSeconds?: number }} options
 *   audiences: the OIDC provider's client IDs (default guard-cli); trust: the roles' trust policy conditions
 *   (StringEquals aud, StringLike sub); clockSkewSeconds: how far STS's clock runs ahead.
 */
export async function startSts(options) {
  const jwks = createRemoteJWKSet(new URL(`${options.issuer}/jwks`));
  const sts = {
    calls: 0,
    /** @type {Array<{ roleArn: string, roleSessionName: string, durationSeconds: number, outcome: string }>} */
    requests: [],
    /** AccessKeyId → { secretAccessKey, sessionToken, roleArn, roleSessionName, account, expiresAt } */
    issued: new Map(),
    /** Faults for the next calls, one each: throttle, unavailable, html, gateway, huge, control, redirect, hang, far-expiry (valid credentials whose Expiration says ten years). */
    faults: [],
    audiences: options.audiences ?? ['guard-cli'],
    trust: options.trust ?? {},
    clockSkewSeconds: options.clockSkewSeconds ?? 0,
  };
  const reply = (res, status, body, type = 'text/xml') => res.writeHead(status, { 'content-type': type }).end(body);
  const error = (res, status, code, message, type = 'Sender') =>
    reply(res, status, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${code}</Code>\n    <Message>${xmlText(message)}</Message>\n  </Error>\n  <RequestId>${randomUUID()}</RequestId>\n</ErrorResponse>\n`);

  async function answer(req, res, form) {
    if (form.get('Action') !== 'AssumeRoleWithWebIdentity' || form.get('Version') !== '2011-06-15') return ['InvalidAction', error(res, 400, 'InvalidAction', 'Could not find operation ' + form.get('Action'))];
    const fault = sts.faults.shift();
    if (fault === 'throttle') return [fault, error(res, 400, 'Throttling', 'Rate exceeded')];
    if (fault === 'unavailable') return [fault, error(res, 503, 'ServiceUnavailable', 'Service is unavailable', 'Receiver')];
    if (fault === 'html') return [fault, reply(res, 403, '<!DOCTYPE html><html><body><h1>Request blocked</h1><p>by the firewall</p></body></html>', 'text/html')];
    if (fault === 'gateway') return [fault, reply(res, 502, '<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>', 'text/html')];
    if (fault === 'huge') return [fault, reply(res, 200, `<AssumeRoleWithWebIdentityResponse>${'x'.repeat(2 * 1024 * 1024)}`)];
    if (fault === 'control') return [fault, error(res, 403, 'AccessDenied', 'Not authorized\u001b]0;pwned\u0007\u001b[2J to perform sts:AssumeRoleWithWebIdentity\u202e')];
    if (fault === 'redirect') return [fault, res.writeHead(307, { location: 'http://127.0.0.1:9/steal' }).end()];
    if (fault === 'hang') return [fault, undefined]; // never answers: the client's timeout must end it
    const roleArn = form.get('RoleArn') ?? '';
    const role = ROLE_ARN.exec(roleArn);
    const roleSessionName = form.get('RoleSessionName') ?? '';
    const durationSeconds = Number(form.get('DurationSeconds') ?? 3600);
    if (!role) return ['ValidationError', error(res, 400, 'ValidationError', `1 validation error detected: Value '${roleArn}' at 'roleArn' failed to satisfy constraint`)];
    if (!SESSION_NAME.test(roleSessionName)) return ['ValidationError', error(res, 400, 'ValidationError', `1 validation error detected: Value '${roleSessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`)];
    if (!Number.isInteger(durationSeconds) || durationSeconds < 900 || durationSeconds > 43200) return ['ValidationError', error(res, 400, 'ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.')];
    const now = Date.now() + sts.clockSkewSeconds * 1000;
    let payload;
    try {
      ({ payload } = await jwtVerify(form.get('WebIdentityToken') ?? '', jwks, { issuer: options.issuer, currentDate: new Date(now) }));
    } catch (e) {
      if (e instanceof errors.JWTExpired) return ['ExpiredTokenException', error(res, 400, 'ExpiredTokenException', 'Token expired: current date/time must be before the expiration date/time.')];
      if (e instanceof errors.JWTClaimValidationFailed && e.claim === 'iss') return ['InvalidIdentityToken', error(res, 400, 'InvalidIdentityToken', `No OpenIDConnect provider found in your account for ${options.issuer}`)];
      return ['InvalidIdentityToken', error(res, 400, 'InvalidIdentityToken', "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.")];
    }
    const auds = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!auds.some((aud) => sts.audiences.includes(aud))) return ['InvalidIdentityToken', error(res, 400, 'InvalidIdentityToken', 'Incorrect token audience')];
    if ((sts.trust.aud && !auds.includes(sts.trust.aud)) || (sts.trust.sub && !glob(sts.trust.sub, String(payload.sub)))) {
      return ['AccessDenied', error(res, 403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity')];
    }
    const accessKeyId = `ASIA${randomText(ALNUM, 16)}`;
    const secretAccessKey = randomBytes(30).toString('base64');
    const sessionToken = `IQoJb3JpZ2luX2Vj${randomBytes(300).toString('base64')}`;
    const expiresAt = Math.floor(now / 1000) * 1000 + durationSeconds * 1000;
    const [, account, , name] = role;
    sts.issued.set(accessKeyId, { secretAccessKey, sessionToken, roleArn, roleSessionName, account, expiresAt, sub: payload.sub });
    const roleId = `AROA${randomText(ALNUM, 17)}`;
    const provider = new URL(options.issuer).host;
    return [
      'ok',
      reply(
        res,
        200,
        `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>${xmlText(payload.sub)}</SubjectFromWebIdentityToken>
    <Audience>${xmlText(auds[0])}</Audience>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::${account}:assumed-role/${name}/${roleSessionName}</Arn>
      <AssumedRoleId>${roleId}:${roleSessionName}</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>${sessionToken}</SessionToken>
      <SecretAccessKey>${secretAccessKey}</SecretAccessKey>
      <Expiration>${new Date(fault === 'far-expiry' ? expiresAt + 10 * 365 * 86_400_000 : expiresAt).toISOString().replace('.000Z', 'Z')}</Expiration>
      <AccessKeyId>${accessKeyId}</AccessKeyId>
    </Credentials>
    <Provider>${xmlText(provider)}</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>${randomUUID()}</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>
`,
      ),
    ];
  }

  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', async () => {
      if (req.method !== 'POST') return error(res, 405, 'InvalidAction', 'POST only');
      sts.calls++;
      const form = new URLSearchParams(body);
      const [outcome] = await answer(req, res, form);
      sts.requests.push({ roleArn: form.get('RoleArn'), roleSessionName: form.get('RoleSessionName'), durationSeconds: Number(form.get('DurationSeconds')), outcome });
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(sts, {
    url: `http://127.0.0.1:${server.address().port}`,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
