/**
 * SPEC §15 with the real aws CLI: `guard aws-credential` as its
 * credential_process, exchanging the real IdP's ID token at an STS stand-in
 * (which checks it against the IdP's JWKS like an IAM OIDC provider and a
 * role's trust policy), and a service stand-in that accepts only requests
 * signed (SigV4) with the credentials STS issued: the aws CLI used exactly
 * what guard handed out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsyncEntry } from '@napi-rs/keyring';
import { startIdp } from '../support/idp.ts';
import { useServer } from '../support/use-server.ts';
import { collect, configFor, createSandbox, GUARD_BIN, login, runGuard, type GuardResult, type Sandbox } from '../support/guard.ts';
import { startAwsService, type IssuedCredential } from '../support/aws-service.ts';
import { backdateSession } from '../support/state-file.ts';
import { errorLine } from '../support/session-snapshot.ts';
// @ts-expect-error: plain ESM helper shared with the benchmark
import { startSts } from '../../scripts/lib/aws-sts.mjs';

interface Sts {
  url: string;
  calls: number;
  requests: Array<{ roleArn: string; roleSessionName: string; durationSeconds: number; outcome: string }>;
  issued: Map<string, IssuedCredential>;
  faults: string[];
  audiences: string[];
  trust: { aud?: string; sub?: string };
  clockSkewSeconds: number;
  stop(): Promise<void>;
}

const PROD_ROLE = 'arn:aws:iam::111122223333:role/deploy';
const DEV_ROLE = 'arn:aws:iam::444455556666:role/dev';

const idp = useServer(() => startIdp());
const sts = useServer<Sts>(() => startSts({ issuer: idp.issuer }));
const service = useServer(() => startAwsService(sts.issued));

/** A sandbox whose config makes account 111122223333 privileged, with its own AWS config files. */
function awsSandbox(options: { profileExtra?: string } = {}): Sandbox {
  const sandbox = createSandbox();
  sandbox.writeConfig(
    configFor(sandbox, idp.issuer, {
      profileExtra: options.profileExtra ?? `    aws_sts_endpoint: ${sts.url}`,
      tiers: ['  privileged: { idle: 15m, max_session: 8h, reauth_within: 1h }', '  standard: { idle: 45m, max_session: 12h }'].join('\n'),
      rules: ['  - name: prod-account', '    match: "aws-credential arn:aws:iam::111122223333:role/*"', '    tier: privileged'].join('\n'),
    }),
  );
  Object.assign(sandbox.env, {
    AWS_CONFIG_FILE: join(sandbox.dir, 'aws', 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(sandbox.dir, 'aws', 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  });
  return sandbox;
}

function aws(args: string[], env: NodeJS.ProcessEnv): Promise<GuardResult> {
  return collect(spawn('aws', [...args, '--endpoint-url', service.url, '--output', 'json'], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

const auditEvents = (sandbox: Sandbox) =>
  readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

const account = (sandbox: Sandbox, role: string, duration = 3600) => `aws-credential ${JSON.stringify([sandbox.profile, role, duration])}`;
const keychainEntry = (name: string) => new AsyncEntry('guard', name, { linux: { store: 'secret-service' } }).getPassword();

describe('the aws CLI through guard aws-credential', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = awsSandbox();
    await login(sandbox);
    const configured = await runGuard(['aws-config', '--aws-profile', 'prod', '--role-arn', PROD_ROLE], sandbox.env);
    expect(configured.code, configured.stderr).toBe(0);
    writeFileSync(sandbox.env.AWS_CONFIG_FILE!, `${readFileSync(sandbox.env.AWS_CONFIG_FILE!, 'utf8')}region = us-east-1\n`);
  });
  afterAll(async () => {
    await runGuard(['logout'], sandbox.env);
  });

  it('a call succeeds with the credentials STS issued for the ID token, and the service saw them signed', async () => {
    const before = sts.calls;
    const result = await aws(['sts', 'get-caller-identity', '--profile', 'prod'], sandbox.env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ Account: '111122223333', Arn: 'arn:aws:sts::111122223333:assumed-role/deploy/alice' });
    expect(sts.calls).toBe(before + 1);
    const seen = service.requests.at(-1)!;
    expect(seen.status).toBe(200);
    expect(sts.issued.get(seen.accessKeyId!)).toMatchObject({ roleArn: PROD_ROLE, roleSessionName: 'alice', sub: 'alice' });
    // botocore runs the process again before the first request when the credential expires within 15 minutes
    // (the privileged tier's idle limit caps it so): the second answer comes from the keychain.
    const allowed = auditEvents(sandbox).filter((e) => e.event === 'allowed' && e.command === 'aws-credential');
    expect(allowed[0]).toMatchObject({ server: PROD_ROLE, tier: 'privileged', rules: ['prod-account'], credential: 'sts', aws_access_key_id: seen.accessKeyId });
    for (const event of allowed.slice(1)) expect(event).toMatchObject({ credential: 'cached', aws_access_key_id: seen.accessKeyId });
  });
});
