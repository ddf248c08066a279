/**
 * Reading STS's answer to AssumeRoleWithWebIdentity (its query API answers
 * in XML): the temporary credentials, or the error's type, code and message.
 * Only the few elements guard needs are read, and each is checked for the
 * shape AWS gives it; anything else is "not an STS answer". Pure.
 *
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html
 */

/** Temporary credentials of an assumed role; `expiresAt` in ms since the epoch. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiresAt: number;
}

export type StsAnswer =
  | { ok: true; credentials: AwsCredentials; assumedRoleArn?: string }
  | { ok: false; type?: string; code: string; message: string };

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(?:#x([0-9a-fA-F]{1,6})|#(\d{1,7})|(lt|gt|amp|quot|apos));/g, (whole, hex: string, dec: string, name: string) => {
    if (name) return ENTITIES[name]!;
    const code = hex ? parseInt(hex, 16) : Number(dec);
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/** The text of the first element `name` in `xml` (namespace prefixes and attributes allowed), decoded; undefined when absent. */
function element(xml: string, name: string): string | undefined {
  const match = new RegExp(`<(?:[\\w.-]+:)?${name}(?:\\s[^>]*)?>([\\s\\S]*?)</(?:[\\w.-]+:)?${name}\\s*>`).exec(xml);
  return match ? decode(match[1]!) : undefined;
}

const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;
/** Printable ASCII without spaces: what AWS secrets and session tokens are made of. */
const PRINTABLE = /^[\x21-\x7e]+$/;

/** The credentials, or undefined when a field is missing or not of AWS's shape. */
function readCredentials(xml: string): AwsCredentials | undefined {
  const block = element(xml, 'Credentials');
  if (block === undefined) return undefined;
  const field = (name: string) => element(block, name)?.trim();
  const accessKeyId = field('AccessKeyId');
  const secretAccessKey = field('SecretAccessKey');
  const sessionToken = field('SessionToken');
  const expiration = field('Expiration');
  const expiresAt = expiration === undefined ? NaN : Date.parse(expiration);
  if (!accessKeyId || !ACCESS_KEY_ID.test(accessKeyId)) return undefined;
  if (!secretAccessKey || secretAccessKey.length > 512 || !PRINTABLE.test(secretAccessKey)) return undefined;
  if (!sessionToken || sessionToken.length > 16_384 || !PRINTABLE.test(sessionToken)) return undefined;
  if (!Number.isFinite(expiresAt)) return undefined;
  return { accessKeyId, secretAccessKey, sessionToken, expiresAt };
}

/**
 * STS's answer, from the HTTP status and the body; undefined when the body
 * is not one (an HTML page of a proxy, a truncated or foreign document).
 */
export function parseStsAnswer(status: number, body: string): StsAnswer | undefined {
  if (status >= 200 && status < 300) {
    if (!/<(?:[\w.-]+:)?AssumeRoleWithWebIdentityResponse[\s>]/.test(body)) return undefined;
    const credentials = readCredentials(body);
    if (!credentials) return undefined;
    const arn = element(element(body, 'AssumedRoleUser') ?? '', 'Arn')?.trim();
    return { ok: true, credentials, ...(arn ? { assumedRoleArn: arn } : {}) };
  }
  const error = /<(?:[\w.-]+:)?ErrorResponse[\s>]/.test(body) ? element(body, 'Error') : undefined;
  const code = error === undefined ? undefined : element(error, 'Code')?.trim();
  if (!code || !/^[A-Za-z][\w.]{0,63}$/.test(code)) return undefined;
  const type = element(error!, 'Type')?.trim();
  return { ok: false, code, message: (element(error!, 'Message') ?? '').trim(), ...(type ? { type } : {}) };
}
