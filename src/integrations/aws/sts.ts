/**
 * STS AssumeRoleWithWebIdentity over plain HTTPS (SPEC §15): an unsigned
 * POST of the query API's form — the ID token is the proof, so no AWS SDK
 * and no AWS keys are needed. Throttling and STS's own faults are retried a
 * few times with backoff; every other answer becomes one error line with
 * STS's error code: a rejected token 77, a bad request 78, STS unreachable
 * or misbehaving 69. The token never appears in a message.
 *
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html
 */
import { GuardError } from '../../errors.ts';
import { fetchErrorCode } from '../../util/net.ts';
import { jwtClaims } from '../../session/id-token.ts';
import { parseStsAnswer, type AwsCredentials, type StsAnswer } from './sts-response.ts';

export interface StsRequest {
  endpoint: string;
  roleArn: string;
  roleSessionName: string;
  /** The ID token; sent only in the request body. */
  webIdentityToken: string;
  durationSeconds: number;
}

export interface StsOptions {
  timeoutSeconds: number;
  /** Waits between attempts (tests and Node's timers). */
  sleep?: (ms: number) => Promise<void>;
}

/** Attempts in all, for throttling and STS's own faults. */
const ATTEMPTS = 4;
const BACKOFF_MS = 250;
/** No STS answer is near this; a longer body is not STS. */
const MAX_BODY = 256 * 1024;
/** Errors worth another try: STS is busy, or could not reach the IdP's keys for a moment. */
const RETRYABLE = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'IDPCommunicationError', 'ServiceUnavailable', 'InternalFailure', 'InternalError']);
/** Rejections of the request rather than of the token: the configuration must change (78). */
const BAD_REQUEST = new Set(['ValidationError', 'MalformedPolicyDocument', 'PackedPolicyTooLarge', 'RegionDisabledException', 'InvalidParameterValue', 'MissingParameter']);

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The credentials of the role, or a GuardError naming STS's answer. */
export async function assumeRoleWithWebIdentity(request: StsRequest, options: StsOptions): Promise<AwsCredentials> {
  const sleep = options.sleep ?? sleepFor;
  let last: Extract<StsAnswer, { ok: false }> | undefined;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    if (attempt > 1) {
      const ceiling = BACKOFF_MS * 2 ** (attempt - 2);
      await sleep(ceiling / 2 + Math.random() * (ceiling / 2));
    }
    const { status, answer } = await post(request, options.timeoutSeconds);
    if (answer?.ok) return answer.credentials;
    if (!answer) {
      if (status >= 500) continue; // a proxy or load balancer in trouble: like STS's own faults
      throw new GuardError('idp', `STS at ${request.endpoint} answered HTTP ${status} with something that is not an STS response; check aws_sts_endpoint`);
    }
    last = answer;
    if (!RETRYABLE.has(answer.code) && !(answer.type === 'Receiver' && status >= 500)) throw rejection(answer, request);
  }
  const why = last ? `${last.code}${last.message ? `: ${short(last.message)}` : ''}` : 'HTTP 5xx';
  throw new GuardError('idp', `STS at ${request.endpoint} is busy or failing (${why}) after ${ATTEMPTS} attempts; try again in a minute`);
}

async function post(request: StsRequest, timeoutSeconds: number): Promise<{ status: number; answer?: StsAnswer }> {
  const body = new URLSearchParams({
    Action: 'AssumeRoleWithWebIdentity',
    Version: '2011-06-15',
    RoleArn: request.roleArn,
    RoleSessionName: request.roleSessionName,
    WebIdentityToken: request.webIdentityToken,
    DurationSeconds: String(request.durationSeconds),
  });
  const signal = AbortSignal.timeout(timeoutSeconds * 1000);
  let response: Response;
  let text: string | undefined;
  try {
    response = await fetch(request.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', accept: 'text/xml' },
      body,
      redirect: 'manual', // the token goes to the endpoint configured, nowhere else: a redirect is no STS answer
      signal,
    });
    text = await readCapped(response);
  } catch (error) {
    const cause = fetchErrorCode(error) ?? ((error as Error).name === 'TimeoutError' ? `no answer within ${timeoutSeconds}s` : (error as Error).name);
    throw new GuardError('idp', `cannot reach STS at ${request.endpoint} (${cause}); check the network, or aws_sts_endpoint / aws_region of the profile`, { cause: error });
  }
  if (text === undefined) throw new GuardError('idp', `STS at ${request.endpoint} answered with more than ${MAX_BODY / 1024} KiB; that is not an STS response (check aws_sts_endpoint)`);
  return { status: response.status, answer: parseStsAnswer(response.status, text) };
}

/** The body as text, or undefined past MAX_BODY (read no further). */
async function readCapped(response: Response): Promise<string | undefined> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const short = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}…` : text);

/** What the token said about whom, for the trust policy: never the token itself. */
function presented(token: string): { iss: string; aud: string; sub: string } {
  const claims = jwtClaims(token) ?? {};
  const text = (value: unknown) => (typeof value === 'string' ? value : Array.isArray(value) ? value.filter((v) => typeof v === 'string').join(',') : '?');
  return { iss: text(claims.iss), aud: text(claims.aud), sub: text(claims.sub) };
}

/** A refusal by STS: its error code goes to the audit log. */
export class StsRefusal extends GuardError {
  constructor(code: ConstructorParameters<typeof GuardError>[0], message: string, readonly stsCode: string) {
    super(code, message);
  }
}

/** One line for STS's refusal, with its code and what to change. */
function rejection(answer: Extract<StsAnswer, { ok: false }>, request: StsRequest): StsRefusal {
  const said = `${answer.code}${answer.message ? `: ${short(answer.message)}` : ''}`;
  const { iss, aud, sub } = presented(request.webIdentityToken);
  const provider = iss.replace(/^https?:\/\//, ''); // IAM names an OIDC provider by its URL without the scheme
  switch (answer.code) {
    case 'AccessDenied':
      return new StsRefusal('auth', `STS refused role ${request.roleArn} (${said}): the role's trust policy must allow sts:AssumeRoleWithWebIdentity for the OIDC provider ${provider} with aud "${aud}" and sub "${sub}", which is what guard presented (see docs/aws.md)`, answer.code);
    case 'InvalidIdentityToken':
      return new StsRefusal('auth', `STS did not accept guard's ID token for role ${request.roleArn} (${said}); the account needs an IAM OIDC identity provider for ${iss} that lists the audience "${aud}"`, answer.code);
    case 'ExpiredTokenException':
      return new StsRefusal('auth', `STS says guard's ID token has expired (${said}); check this machine's clock, then try again (guard refreshes the token when it is due)`, answer.code);
    case 'IDPRejectedClaim':
      return new StsRefusal('auth', `STS rejected a claim of guard's ID token for role ${request.roleArn} (${said}); presented: aud "${aud}", sub "${sub}"`, answer.code);
    default:
      if (BAD_REQUEST.has(answer.code)) {
        return new StsRefusal('config', `STS refused the request for role ${request.roleArn} (${said}); check --role-arn and --duration (the role's MaxSessionDuration caps it)`, answer.code);
      }
      return new StsRefusal(answer.type === 'Receiver' ? 'idp' : 'auth', `STS refused role ${request.roleArn} (${said})`, answer.code);
  }
}
