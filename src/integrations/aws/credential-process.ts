/**
 * What an AWS credential_process prints on stdout: version 1 of the format
 * the CLI and the SDKs read, with `Expiration` in RFC 3339 (whole seconds,
 * rounded down, so never later than the moment given). Pure.
 *
 * @see https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html
 */
import { isoTimeSeconds } from '../../util/iso-time.ts';
import type { AwsCredentials } from './sts-response.ts';

export function formatCredentialProcess(credentials: AwsCredentials, expiresAt: number): string {
  return `${JSON.stringify({
    Version: 1,
    AccessKeyId: credentials.accessKeyId,
    SecretAccessKey: credentials.secretAccessKey,
    SessionToken: credentials.sessionToken,
    Expiration: isoTimeSeconds(expiresAt),
  })}\n`;
}
