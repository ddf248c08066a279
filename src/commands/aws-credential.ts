/**
 * `guard aws-credential --role-arn ARN [--profile P] [--tier T] [--duration D]`:
 * an AWS credential_process (SPEC §15). After `run`'s decision for the words
 * `aws-credential ARN`, it hands the aws CLI or SDK the role's temporary
 * credentials — from the keychain, else from STS in exchange for the
 * profile's ID token — and prints nothing but their JSON on stdout.
 *
 * @see https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html
 */
import type { Deps } from '../deps.ts';
import { GuardError } from '../errors.ts';
import { credentialExpiresAt } from '../integrations/credential-expiry.ts';
import { formatCredentialProcess } from '../integrations/aws/credential-process.ts';
import { roleCredentials } from '../integrations/aws/role-credentials.ts';
import { checkRoleArn, requestedDuration, roleSessionName, stsDuration } from '../integrations/aws/role.ts';
import { stsEndpoint } from '../integrations/aws/sts-endpoint.ts';
import { loginHint } from '../session/ensure.ts';
import { sessionFields } from '../session/state.ts';
import { openTerminalOutput } from '../ui/terminal-output.ts';
import { answerCaller, type CallerOptions } from './credential-caller.ts';

export interface AwsCredentialOptions extends CallerOptions {
  roleArn?: string;
  duration?: string;
}

const NO_INLINE = ' (guard aws-credential signs in only when the aws command runs at a terminal)';

export async function awsCredential(deps: Deps, options: AwsCredentialOptions): Promise<number> {
  const roleArn = checkRoleArn(options.roleArn);
  const requested = requestedDuration(options.duration);
  const screen = signInScreen(deps);
  let source: 'cached' | 'sts' | undefined;
  let accessKeyId: string | undefined;
  const answer = await answerCaller(screen.deps, options, {
    caller: 'aws-credential',
    server: roleArn,
    runBy: 'the aws command',
    targetNoun: 'role',
    prompt: screen.prompt,
    check: stsEndpoint, // a profile without STS settings fails before any sign-in (78)
    need: () => ({ needsIdToken: true, inlineHint: NO_INLINE }),
    answer: async (call) => {
      const { profile } = call.resolution;
      const idToken = call.tokens.id_token;
      if (!idToken) throw new GuardError('auth', `the identity provider gave profile "${profile.name}" no ID token to exchange with STS; ${loginHint(profile)}`);
      const got = await roleCredentials(screen.deps, {
        profile,
        state: call.state,
        roleArn,
        requested,
        sts: () => ({
          endpoint: stsEndpoint(profile),
          roleSessionName: roleSessionName(call.state.display_name, call.state.subject),
          durationSeconds: stsDuration(requested, call.limits, call.state, call.at),
          webIdentityToken: idToken,
        }),
      }).catch((error: unknown) => {
        // STS said no (not: could not be reached): the refusal is worth an audit line, with STS's code.
        const stsCode = (error as { stsCode?: unknown }).stsCode;
        if (typeof stsCode === 'string') {
          deps.audit('denied', { profile: profile.name, tier: call.resolution.tier, rules: call.resolution.rules.map((rule) => rule.name), command: call.resolution.label, server: roleArn, reason: 'sts_refused', sts_error: stsCode, ...sessionFields(call.state) });
        }
        throw error;
      });
      source = got.source;
      accessKeyId = got.credentials.accessKeyId;
      return formatCredentialProcess(got.credentials, credentialExpiresAt(got.credentials.expiresAt, call.limits, call.state, call.at));
    },
    // The access key id is no secret (CloudTrail shows it): it ties this line to the calls made with it.
    auditFields: () => ({ credential: source, aws_access_key_id: accessKeyId }),
  });
  deps.io.out(answer);
  return 0;
}

/**
 * Where a sign-in may happen (SPEC §15: only at a terminal). The aws CLI
 * captures a credential_process's stderr and shows it only afterwards, but
 * leaves it the user's stdin: when that is a terminal, the device-flow
 * screen goes to the controlling terminal instead, so the user sees it while
 * guard waits. Errors still go to stderr, where the aws CLI reports them.
 */
function signInScreen(deps: Deps): { deps: Deps; prompt: boolean | undefined } {
  if (deps.io.stderrIsTTY) return { deps, prompt: undefined }; // SPEC §3's rule, as for every command
  if (!deps.io.stdinIsTTY || deps.env.CI) return { deps, prompt: false };
  const write = openTerminalOutput();
  return write ? { deps: { ...deps, io: { ...deps.io, err: write } }, prompt: true } : { deps, prompt: false };
}
