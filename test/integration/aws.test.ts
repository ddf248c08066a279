/**
 * SPEC §15 with the real aws CLI: `guard aws-credential` as its
 * credential_process, exchanging the real IdP's ID token at an STS stand-in
 * (which checks it against the IdP's JWKS like an IAM OIDC provider and a
 * role's trust policy), and a service stand-in that accepts only requests
 * signed (SigV4) with the credentials STS issued: the aws CLI used exactly
 * what guard handed out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsyncEntry } from '@napi-rs/keyring';
import { startIdp } from '../support/idp.ts';
import { useServer } from '../support/use-server.ts';
import { collect, configFor, createSandbox, GUARD_BIN, login, runGuard, type GuardResult, type Sandbox } from '../support/guard.ts';
import { startAwsService, type IssuedCredential } from '../support/aws-service.ts';
import { backdateSession } from '../support/state-file.ts';
import { errorLine, lines } from '../support/session-snapshot.ts';
import { freePort } from '../support/net.ts';
import { shellQuote, TmuxPane } from '../support/tmux.ts';
// @ts-expect-error: plain ESM helper shared with the demo and the benchmark
import { approveDevice, findVerificationUrl } from '../../scripts/lib/approve.mjs';
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

/** The aws CLI itself when pyenv's shim stands in front of it (the shim costs a shell and pyenv per call). */
const AWS = (() => {
  try {
    return execFileSync('pyenv', ['which', 'aws'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || 'aws';
  } catch {
    return 'aws';
  }
})();

function aws(args: string[], env: NodeJS.ProcessEnv): Promise<GuardResult> {
  return collect(spawn(AWS, [...args, '--endpoint-url', service.url, '--output', 'json'], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

const auditEvents = (sandbox: Sandbox) =>
  readFileSync(join(sandbox.stateDir, 'audit.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

const account = (sandbox: Sandbox, role: string, duration = 3600) => `aws-credential ${JSON.stringify([sandbox.profile, role, duration])}`;
const keychainEntry = (name: string) => new AsyncEntry('guard', name, { linux: { store: 'secret-service' } }).getPassword();
const heldList = (sandbox: Sandbox) => join(sandbox.stateDir, 'sessions', `${sandbox.profile}.held.json`);
const credential = (result: GuardResult) => JSON.parse(result.stdout) as { Version: number; AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: string };

/** A sandbox signed in as alice, whose AWS profiles `prod` and `dev` run guard aws-credential for the prod and dev roles. */
async function signedIn(options: { profileExtra?: string } = {}): Promise<Sandbox> {
  const sandbox = awsSandbox(options);
  await login(sandbox);
  for (const [name, role] of [['prod', PROD_ROLE], ['dev', DEV_ROLE]]) {
    const configured = await runGuard(['aws-config', '--aws-profile', name!, '--role-arn', role!], sandbox.env);
    expect(configured.code, configured.stderr).toBe(0);
  }
  writeFileSync(sandbox.env.AWS_CONFIG_FILE!, readFileSync(sandbox.env.AWS_CONFIG_FILE!, 'utf8').replace(/\n(?=\n|$)/g, '\nregion = us-east-1\n'));
  return sandbox;
}

/** The one-line failure of SPEC §5: exactly one `guard: …` line, nothing from the token. */
function oneLine(result: GuardResult, code: number, pattern: RegExp, secrets: string[] = []): string {
  expect(result.stdout).toBe('');
  expect(result.code, result.stderr).toBe(code);
  expect(lines(result.stderr)).toHaveLength(1);
  const line = errorLine(result.stderr);
  expect(line).toMatch(pattern);
  for (const secret of secrets) expect(result.stderr).not.toContain(secret.split('.')[1]);
  return line;
}

describe('the aws CLI through guard aws-credential', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await signedIn();
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

  it('20 aws calls in a row make one STS call: each one decides, then gets the cached credential', async () => {
    // The dev role's tier (standard, idle 45m) lets the credential outlive botocore's 15-minute refresh window: one guard call per aws call.
    const before = sts.calls;
    const keys = new Set<string>();
    const allowedBefore = auditEvents(sandbox).filter((e) => e.event === 'allowed').length;
    for (let i = 0; i < 20; i++) {
      const result = await aws(['sts', 'get-caller-identity', '--profile', 'dev'], sandbox.env);
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout).Arn).toBe('arn:aws:sts::444455556666:assumed-role/dev/alice');
      keys.add(service.requests.at(-1)!.accessKeyId!);
    }
    expect(sts.calls).toBe(before + 1);
    expect(keys.size).toBe(1);
    const allowed = auditEvents(sandbox).filter((e) => e.event === 'allowed').slice(allowedBefore);
    expect(allowed).toHaveLength(20); // every call was decided (and was activity)
    expect(allowed.map((e) => e.credential)).toEqual(['sts', ...Array(19).fill('cached')]);
    expect(allowed.every((e) => e.server === DEV_ROLE && e.tier === 'standard')).toBe(true);
  }, 240_000); // 20 starts of the aws CLI (Python): slow on a loaded machine, never a timing assertion

  it('prints only the credential_process JSON, whose Expiration is within the credential and the tier', async () => {
    // The prod role (privileged: idle 15m) and the dev role (standard: idle 45m); --duration 15m makes the credential the bound.
    for (const [role, args, bound] of [
      [PROD_ROLE, [], 15 * 60_000],
      [DEV_ROLE, [], 45 * 60_000],
      [DEV_ROLE, ['--duration', '15m'], 15 * 60_000],
    ] as const) {
      const started = Date.now();
      const result = await runGuard(['aws-credential', '--role-arn', role, ...args], sandbox.env);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout.endsWith('}\n')).toBe(true);
      const answer = credential(result);
      expect(Object.keys(answer)).toEqual(['Version', 'AccessKeyId', 'SecretAccessKey', 'SessionToken', 'Expiration']);
      expect(answer.Version).toBe(1);
      expect(answer.Expiration).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const issued = sts.issued.get(answer.AccessKeyId)!;
      expect(issued).toMatchObject({ roleArn: role, secretAccessKey: answer.SecretAccessKey, sessionToken: answer.SessionToken });
      const expires = Date.parse(answer.Expiration);
      expect(expires).toBeLessThanOrEqual(issued.expiresAt);
      expect(expires).toBeLessThanOrEqual(Date.now() + bound);
      expect(expires).toBeGreaterThanOrEqual(started + bound - 2_000);
    }
  });

  it('asks STS for the requested duration, shortened to the tier\'s reauth_within but never below 900 s', async () => {
    await runGuard(['aws-credential', '--role-arn', DEV_ROLE, '--duration', '2h'], sandbox.env);
    expect(sts.requests.at(-1)).toMatchObject({ roleArn: DEV_ROLE, durationSeconds: 7200, roleSessionName: 'alice', outcome: 'ok' });
    // The prod role's tier wants a password again within 1h of the sign-in, a few seconds ago.
    await runGuard(['aws-credential', '--role-arn', PROD_ROLE, '--duration', '3h'], sandbox.env);
    const prod = sts.requests.at(-1)!;
    expect(prod.durationSeconds).toBeLessThanOrEqual(3600);
    expect(prod.durationSeconds).toBeGreaterThan(3000);
  });

  it('parallel callers of one role wait on one lock: one STS call', async () => {
    const before = sts.calls;
    const results = await Promise.all(Array.from({ length: 8 }, () => runGuard(['aws-credential', '--role-arn', DEV_ROLE, '--duration', '3h'], sandbox.env)));
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    expect(sts.calls).toBe(before + 1);
    expect(new Set(results.map((r) => credential(r).AccessKeyId)).size).toBe(1);
  });

  it('a rule in lower case matches every spelling of a role (IAM role names are case-insensitive)', async () => {
    const env = { ...sandbox.env, GUARD_CONFIG: join(sandbox.dir, 'admin-rule.yaml') };
    writeFileSync(env.GUARD_CONFIG, readFileSync(sandbox.configPath, 'utf8').replace('rules:\n', 'rules:\n  - name: admin-role\n    match: "aws-credential arn:aws:iam::444455556666:role/admin"\n    tier: privileged\n'));
    for (const spelling of ['admin', 'Admin', 'ADMIN']) {
      const explained = JSON.parse((await runGuard(['explain', '--json', '--', 'aws-credential', `arn:aws:iam::444455556666:role/${spelling}`], env)).stdout);
      expect(explained, spelling).toMatchObject({ tier: 'privileged', rules: [expect.objectContaining({ name: 'admin-role' })] });
      const got = await runGuard(['aws-credential', '--role-arn', `arn:aws:iam::444455556666:role/${spelling}`], env);
      expect(got.code, got.stderr).toBe(0);
      expect(auditEvents(sandbox).at(-1)).toMatchObject({ event: 'allowed', tier: 'privileged', rules: ['admin-role'] });
    }
  });

  it('explain and status name the role like a server', async () => {
    const explained = await runGuard(['explain', '--', 'aws-credential', PROD_ROLE], sandbox.env);
    expect(explained.stdout).toContain(`command:  aws-credential\nserver:   ${PROD_ROLE}\n`);
    expect(explained.stdout).toMatch(/rule:\s+prod-account .* → privileged/);
    const status = JSON.parse((await runGuard(['status', '--json'], sandbox.env)).stdout);
    expect(status.credential_callers).toContainEqual(expect.objectContaining({ caller: 'aws-credential', server: PROD_ROLE, tiers: ['privileged'] }));
    // One entry per role ARN and --duration asked for above: prod 1h and 3h; dev 1h, 15m, 2h and 3h; admin in three spellings.
    expect(status.cached_credentials).toBe(9);
    expect((await runGuard(['status'], sandbox.env)).stdout).toContain('  keychain holds 9 AWS credentials obtained with this session (guard lock drops them)\n');
  });
});

describe('the cached credentials end with the session', () => {
  for (const how of ['lock', 'logout'] as const) {
    it(`guard ${how} deletes them from the keychain; the next call needs a sign-in, then STS again`, async () => {
      const sandbox = await signedIn();
      const first = credential(await runGuard(['aws-credential', '--role-arn', PROD_ROLE], sandbox.env));
      expect(await keychainEntry(account(sandbox, PROD_ROLE))).toContain(first.AccessKeyId);
      expect(existsSync(heldList(sandbox))).toBe(true);
      expect((await runGuard([how], sandbox.env)).code).toBe(0);
      expect(await keychainEntry(account(sandbox, PROD_ROLE))).toBeNull();
      expect(existsSync(heldList(sandbox))).toBe(false);
      oneLine(await runGuard(['aws-credential', '--role-arn', PROD_ROLE], sandbox.env), 77, /^guard: sign-in required for profile .* \(guard aws-credential signs in only when the aws command runs at a terminal\)$/);
      await login(sandbox);
      const before = sts.calls;
      const next = credential(await runGuard(['aws-credential', '--role-arn', PROD_ROLE], sandbox.env));
      expect(sts.calls).toBe(before + 1);
      expect(next.AccessKeyId).not.toBe(first.AccessKeyId);
      await runGuard(['logout'], sandbox.env);
    });
  }

  it('after the privileged idle limit the aws call fails without a device flow when not at a terminal', async () => {
    const sandbox = await signedIn();
    expect((await aws(['sts', 'get-caller-identity', '--profile', 'prod'], sandbox.env)).code).toBe(0);
    backdateSession(sandbox, { last_activity: 16 * 60_000 });
    const before = sts.calls;
    const result = await aws(['sts', 'get-caller-identity', '--profile', 'prod'], sandbox.env);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    // The aws CLI shows guard's one line (it captured guard's stderr).
    expect(result.stderr).toMatch(/guard: sign-in required for profile .* \(idle 1[67]m\d*s? > 15m\); .*\(guard aws-credential signs in only when the aws command runs at a terminal\)/);
    expect(findVerificationUrl(result.stderr)).toBeFalsy();
    expect(sts.calls).toBe(before);
    oneLine(await runGuard(['aws-credential', '--role-arn', PROD_ROLE], sandbox.env), 77, /^guard: sign-in required .*idle/);
    const denied = auditEvents(sandbox).filter((e) => e.event === 'denied' && e.command === 'aws-credential');
    expect(denied.at(-1)).toMatchObject({ tier: 'privileged', reason: 'idle' });
    await runGuard(['logout'], sandbox.env);
  });
});

describe('STS errors: one line each, with STS\'s code', () => {
  let sandbox: Sandbox;
  let idToken: string;
  beforeAll(async () => {
    sandbox = await signedIn();
    idToken = JSON.parse((await keychainEntry(sandbox.profile))!).id_token;
  });
  afterAll(async () => {
    sts.faults.length = 0;
    await runGuard(['logout'], sandbox.env);
  });
  let n = 0;
  /** A role of its own per case: nothing cached. */
  const call = (env = sandbox.env) => runGuard(['aws-credential', '--role-arn', `arn:aws:iam::444455556666:role/case-${++n}`], env);

  it('AccessDenied (the trust policy): 77, naming the aud and sub guard presented', async () => {
    sts.trust = { aud: 'guard-cli', sub: 'bob' };
    try {
      oneLine(await call(), 77, /^guard: STS refused role arn:aws:iam::444455556666:role\/case-\d+ \(AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity\): the role's trust policy must allow sts:AssumeRoleWithWebIdentity for the OIDC provider 127\.0\.0\.1:\d+ with aud "guard-cli" and sub "alice"/, [idToken]);
    } finally {
      sts.trust = {};
    }
    expect(auditEvents(sandbox).at(-1)).toMatchObject({ event: 'denied', command: 'aws-credential', reason: 'sts_refused', sts_error: 'AccessDenied' });
  });

  it('InvalidIdentityToken (no OIDC provider for this audience): 77', async () => {
    sts.audiences = ['another-client'];
    try {
      oneLine(await call(), 77, /^guard: STS did not accept guard's ID token for role .* \(InvalidIdentityToken: Incorrect token audience\); the account needs an IAM OIDC identity provider for http:\/\/127\.0\.0\.1:\d+ that lists the audience "guard-cli"$/, [idToken]);
    } finally {
      sts.audiences = ['guard-cli'];
    }
  });

  it('ExpiredTokenException: 77', async () => {
    sts.clockSkewSeconds = 2 * 3600;
    try {
      oneLine(await call(), 77, /^guard: STS says guard's ID token has expired \(ExpiredTokenException: Token expired/, [idToken]);
    } finally {
      sts.clockSkewSeconds = 0;
    }
  });

  it('throttling is retried with backoff, then succeeds; endless throttling is 69', async () => {
    const before = sts.calls;
    sts.faults.push('throttle', 'unavailable');
    const result = await call();
    expect(result.code, result.stderr).toBe(0);
    expect(sts.calls).toBe(before + 3);
    sts.faults.push('throttle', 'throttle', 'throttle', 'throttle');
    oneLine(await call(), 69, /^guard: STS at http:\/\/127\.0\.0\.1:\d+ is busy or failing \(Throttling: Rate exceeded\) after 4 attempts; try again in a minute$/);
    expect(sts.calls).toBe(before + 7);
  });

  it('STS unreachable: 69', async () => {
    const port = await freePort();
    const env = { ...sandbox.env };
    const config = readFileSync(sandbox.configPath, 'utf8').replace(sts.url, `http://127.0.0.1:${port}`);
    env.GUARD_CONFIG = join(sandbox.dir, 'unreachable.yaml');
    writeFileSync(env.GUARD_CONFIG, config);
    oneLine(await call(env), 69, new RegExp(`^guard: cannot reach STS at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\); check the network, or aws_sts_endpoint / aws_region of the profile$`));
  });

  it('an Expiration far past what was asked for: the credentials live (and are kept) only as long as DurationSeconds from the request', async () => {
    const role = `arn:aws:iam::444455556666:role/case-${++n}`;
    sts.faults.push('far-expiry');
    const asked = Date.now();
    const got = await runGuard(['aws-credential', '--role-arn', role, '--duration', '15m'], sandbox.env);
    expect(got.code, got.stderr).toBe(0);
    expect(sts.requests.at(-1)).toMatchObject({ roleArn: role, durationSeconds: 900 });
    const expiration = Date.parse(credential(got).Expiration);
    expect(expiration).toBeGreaterThan(asked + 14 * 60_000);
    expect(expiration).toBeLessThanOrEqual(Date.now() + 15 * 60_000);
    const kept = JSON.parse((await keychainEntry(account(sandbox, role, 900)))!) as { expires_at: number };
    expect(kept.expires_at).toBeLessThanOrEqual(Date.now() + 15 * 60_000);
  });

  it('a hostile STS: an HTML page, a huge body, a redirect, control characters — one escaped line, nothing raw', async () => {
    sts.faults.push('html');
    oneLine(await call(), 69, /^guard: STS at .* answered HTTP 403 with something that is not an STS response; check aws_sts_endpoint$/);
    sts.faults.push('huge');
    oneLine(await call(), 69, /^guard: STS at .* answered with more than 256 KiB; that is not an STS response/);
    sts.faults.push('redirect');
    oneLine(await call(), 69, /answered HTTP 307 with something that is not an STS response/);
    sts.faults.push('gateway', 'gateway', 'gateway', 'gateway');
    oneLine(await call(), 69, /is busy or failing \(HTTP 5xx\) after 4 attempts/);
    sts.faults.push('control');
    const result = await call();
    const line = oneLine(result, 77, /^guard: STS refused role .* \(AccessDenied: Not authorized\\x1b\]0;pwned\\x07\\x1b\[2J to perform sts:AssumeRoleWithWebIdentity\\u\{202e\}\)/);
    expect(line).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
  });

  it('a profile without aws_region or aws_sts_endpoint: 78 before anything else', async () => {
    const env = { ...sandbox.env, GUARD_CONFIG: join(sandbox.dir, 'no-sts.yaml') };
    writeFileSync(env.GUARD_CONFIG, readFileSync(sandbox.configPath, 'utf8').replace(`    aws_sts_endpoint: ${sts.url}\n`, ''));
    oneLine(await call(env), 78, /^guard: profile ".*" sets neither aws_region nor aws_sts_endpoint; guard aws-credential needs one of them to reach STS/);
    oneLine(await runGuard(['aws-credential'], sandbox.env), 64, /^guard: which role\? guard aws-credential --role-arn/);
    oneLine(await runGuard(['aws-credential', '--role-arn', 'arn:aws:iam::1:role/x'], sandbox.env), 64, /^guard: --role-arn must be an IAM role ARN/);
    oneLine(await runGuard(['aws-credential', '--role-arn', DEV_ROLE, '--duration', '5m'], sandbox.env), 64, /^guard: --duration must be from 15m to 12h/);
  });
});

describe('guard aws-config with the real aws CLI', () => {
  it('moves static keys into the backup, so the CLI uses guard; idempotent; --undo restores both files byte for byte', async () => {
    const sandbox = awsSandbox();
    await login(sandbox);
    mkdirSync(join(sandbox.dir, 'aws'));
    const config = '# my AWS config\r\n[default]\r\nregion = eu-west-1\r\n\r\n[profile prod]\r\nregion = us-east-1\r\naws_access_key_id = AKIAOLDCONFIGKEY0001\r\naws_secret_access_key = old/config/secret\r\ns3 =\r\n  max_concurrent_requests = 4\r\n\r\n# staging below\r\n[profile staging]\r\nregion = eu-central-1';
    const credentials = '[default]\naws_access_key_id = AKIADEFAULTKEY000001\naws_secret_access_key = default-secret\n\n[prod]\naws_access_key_id = AKIAOLDSTATICKEY0001\naws_secret_access_key = static/secret/key\n';
    writeFileSync(sandbox.env.AWS_CONFIG_FILE!, config);
    writeFileSync(sandbox.env.AWS_SHARED_CREDENTIALS_FILE!, credentials, { mode: 0o600 });
    // Before: the CLI signs with the static key, which no STS issued.
    const staticCall = await aws(['sts', 'get-caller-identity', '--profile', 'prod'], sandbox.env);
    expect(staticCall.code).not.toBe(0);
    expect(service.requests.at(-1)!.why).toBe('InvalidClientTokenId');

    const edited = await runGuard(['aws-config', '--aws-profile', 'prod', '--role-arn', PROD_ROLE, '--tier', 'privileged'], sandbox.env);
    expect(edited.code, edited.stderr).toBe(0);
    const backupFile = `${sandbox.env.AWS_CONFIG_FILE}.guard-backup.json`;
    expect(edited.stdout).toBe(
      [
        `edited: ${sandbox.env.AWS_CONFIG_FILE} (backup: ${backupFile})`,
        `  profile prod: credential_process = ${GUARD_BIN} aws-credential --role-arn ${PROD_ROLE} --tier privileged`,
        `  moved into the backup: aws_access_key_id, aws_secret_access_key of profile prod in ${sandbox.env.AWS_CONFIG_FILE}`,
        `  moved into the backup: aws_access_key_id, aws_secret_access_key of [prod] in ${sandbox.env.AWS_SHARED_CREDENTIALS_FILE} (the aws CLI would prefer them)`,
        '  undo: guard aws-config --aws-profile prod --undo',
        '',
      ].join('\n'),
    );
    expect(readFileSync(sandbox.env.AWS_CONFIG_FILE!, 'utf8')).toBe(config.replace('aws_access_key_id = AKIAOLDCONFIGKEY0001\r\naws_secret_access_key = old/config/secret\r\ns3 =\r\n  max_concurrent_requests = 4\r\n', `s3 =\r\n  max_concurrent_requests = 4\r\ncredential_process = ${GUARD_BIN} aws-credential --role-arn ${PROD_ROLE} --tier privileged\r\n`));
    expect(readFileSync(sandbox.env.AWS_SHARED_CREDENTIALS_FILE!, 'utf8')).toBe('[default]\naws_access_key_id = AKIADEFAULTKEY000001\naws_secret_access_key = default-secret\n\n[prod]\n');
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(backupFile, 'utf8')).toContain('static/secret/key');

    const through = await aws(['sts', 'get-caller-identity', '--profile', 'prod'], sandbox.env);
    expect(through.code, through.stderr).toBe(0);
    expect(JSON.parse(through.stdout).Arn).toBe('arn:aws:sts::111122223333:assumed-role/deploy/alice');

    const again = await runGuard(['aws-config', '--aws-profile', 'prod', '--role-arn', PROD_ROLE, '--tier', 'privileged'], sandbox.env);
    expect(again.stdout).toMatch(/^unchanged: /);

    const undone = await runGuard(['aws-config', '--aws-profile', 'prod', '--undo'], sandbox.env);
    expect(undone.code, undone.stderr).toBe(0);
    expect(readFileSync(sandbox.env.AWS_CONFIG_FILE!, 'utf8')).toBe(config);
    expect(readFileSync(sandbox.env.AWS_SHARED_CREDENTIALS_FILE!, 'utf8')).toBe(credentials);
    expect(existsSync(backupFile)).toBe(false);
    await runGuard(['logout'], sandbox.env);
  });

  it('moves another credential source out of ~/.aws/credentials too (botocore reads it over the config): assume-role, credential_process; doctor warns about them in either file', async () => {
    const sandbox = awsSandbox();
    await login(sandbox);
    mkdirSync(join(sandbox.dir, 'aws'));
    // Offline: an assume-role call goes to the STS stand-in, which knows no AssumeRole.
    const env: NodeJS.ProcessEnv = { ...sandbox.env, AWS_ENDPOINT_URL_STS: sts.url, AWS_MAX_ATTEMPTS: '1' };
    const config = '[profile prod]\nregion = us-east-1\n';
    const credentials = '[base]\naws_access_key_id = AKIABASESTATICKEY001\naws_secret_access_key = base/secret\n\n[prod]\nrole_arn = arn:aws:iam::999988887777:role/elsewhere\nsource_profile = base\ncredential_process = /bin/false\nregion = us-east-1\n';
    writeFileSync(env.AWS_CONFIG_FILE!, config);
    writeFileSync(env.AWS_SHARED_CREDENTIALS_FILE!, credentials, { mode: 0o600 });
    const configureList = () => collect(spawn(AWS, ['configure', 'list', '--profile', 'prod'], { env, stdio: ['ignore', 'pipe', 'pipe'] }));

    const edited = await runGuard(['aws-config', '--aws-profile', 'prod', '--role-arn', PROD_ROLE], env);
    expect(edited.code, edited.stderr).toBe(0);
    expect(edited.stdout).toContain(`\n  moved into the backup: role_arn, source_profile, credential_process of [prod] in ${env.AWS_SHARED_CREDENTIALS_FILE} (the aws CLI would prefer them)\n`);
    expect(readFileSync(env.AWS_SHARED_CREDENTIALS_FILE!, 'utf8')).toBe('[base]\naws_access_key_id = AKIABASESTATICKEY001\naws_secret_access_key = base/secret\n\n[prod]\nregion = us-east-1\n');
    const before = sts.calls;
    const listed = await configureList();
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^access_key +\*+\w{4} +custom-process/m);
    const through = await aws(['sts', 'get-caller-identity', '--profile', 'prod'], env);
    expect(through.code, through.stderr).toBe(0);
    expect(JSON.parse(through.stdout).Arn).toBe('arn:aws:sts::111122223333:assumed-role/deploy/alice');
    expect(sts.calls).toBeGreaterThan(before);

    // doctor checks the same keys in both files.
    const awsChecks = async () => (JSON.parse((await runGuard(['doctor', '--json'], env)).stdout) as { checks: Array<{ id: string; status: string; summary: string }> }).checks.filter((c) => c.id === 'aws');
    expect(await awsChecks()).toEqual([expect.objectContaining({ status: 'pass', summary: `aws profile prod gets credentials from this guard (role ${PROD_ROLE})` })]);
    const guarded = readFileSync(env.AWS_CONFIG_FILE!, 'utf8');
    writeFileSync(env.AWS_SHARED_CREDENTIALS_FILE!, '[prod]\nweb_identity_token_file = /tmp/token\nrole_arn = arn:aws:iam::999988887777:role/elsewhere\n');
    writeFileSync(env.AWS_CONFIG_FILE!, `${guarded}source_profile = base\naws_session_token = x\n`);
    expect(await awsChecks()).toEqual([
      expect.objectContaining({ status: 'warn', summary: expect.stringMatching(/^aws profile prod: web_identity_token_file, role_arn in \S+credentials and long-lived keys, source_profile in \S+config — the aws CLI uses them instead of guard$/) }),
    ]);
    writeFileSync(env.AWS_SHARED_CREDENTIALS_FILE!, '[prod]\ncredential_process = /bin/false\n');
    writeFileSync(env.AWS_CONFIG_FILE!, guarded);
    expect(await awsChecks()).toEqual([expect.objectContaining({ status: 'warn', summary: expect.stringMatching(/^aws profile prod: credential_process in \S+credentials — the aws CLI uses them instead of guard$/) })]);
    await runGuard(['logout'], sandbox.env);
  });

  it('quotes a guard path with spaces and a quote so the aws CLI runs it; adds the profile when missing, and --undo removes it', async () => {
    const sandbox = awsSandbox();
    await login(sandbox);
    const odd = join(sandbox.dir, "my tools", "guard's bin");
    mkdirSync(odd, { recursive: true });
    symlinkSync(GUARD_BIN, join(odd, 'guard'));
    mkdirSync(join(sandbox.dir, 'aws'));
    const config = '[default]\nregion = us-east-1';
    writeFileSync(sandbox.env.AWS_CONFIG_FILE!, config);
    const edited = await collect(spawn(join(odd, 'guard'), ['aws-config', '--aws-profile', 'odd', '--role-arn', DEV_ROLE], { env: sandbox.env, stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(edited.code, edited.stderr).toBe(0);
    const text = readFileSync(sandbox.env.AWS_CONFIG_FILE!, 'utf8');
    expect(text).toBe(`${config}\n\n[profile odd]\ncredential_process = ${shellQuote(join(odd, 'guard'))} aws-credential --role-arn ${DEV_ROLE}\n`);
    writeFileSync(sandbox.env.AWS_CONFIG_FILE!, `${text}region = us-east-1\n`);
    const through = await aws(['sts', 'get-caller-identity', '--profile', 'odd'], sandbox.env);
    expect(through.code, through.stderr).toBe(0);
    expect(JSON.parse(through.stdout).Arn).toBe('arn:aws:sts::444455556666:assumed-role/dev/alice');
    // Changed by hand since: --undo refuses and keeps the backup.
    const refused = await runGuard(['aws-config', '--aws-profile', 'odd', '--undo'], sandbox.env);
    oneLine(refused, 78, /^guard: profile odd in .* was changed after guard's edit; nothing was restored, and the backup stays in /);
    writeFileSync(sandbox.env.AWS_CONFIG_FILE!, text);
    expect((await runGuard(['aws-config', '--aws-profile', 'odd', '--undo'], sandbox.env)).code).toBe(0);
    expect(readFileSync(sandbox.env.AWS_CONFIG_FILE!, 'utf8')).toBe(config);
    await runGuard(['logout'], sandbox.env);
  });

  it('doctor: the profile runs this guard, and long-lived keys for it in ~/.aws/credentials are a warning', async () => {
    const sandbox = await signedIn();
    writeFileSync(sandbox.env.AWS_SHARED_CREDENTIALS_FILE!, '[prod]\naws_access_key_id = AKIANEWSTATICKEY0001\naws_secret_access_key = x\n');
    const doctor = JSON.parse((await runGuard(['doctor', '--json'], sandbox.env)).stdout) as { checks: Array<{ id: string; status: string; summary: string; fix?: string }> };
    const checks = doctor.checks.filter((c) => c.id === 'aws');
    expect(checks).toContainEqual(expect.objectContaining({ status: 'warn', summary: expect.stringContaining('aws profile prod: long-lived keys in') }));
    writeFileSync(sandbox.env.AWS_SHARED_CREDENTIALS_FILE!, '');
    const clean = JSON.parse((await runGuard(['doctor', '--json'], sandbox.env)).stdout) as typeof doctor;
    expect(clean.checks.filter((c) => c.id === 'aws')).toEqual([
      expect.objectContaining({ status: 'pass', summary: `aws profile prod gets credentials from this guard (role ${PROD_ROLE})` }),
      expect.objectContaining({ status: 'pass', summary: `aws profile dev gets credentials from this guard (role ${DEV_ROLE})` }),
    ]);
    await runGuard(['logout'], sandbox.env);
  });
});

describe('a step-up at a terminal', () => {
  it('the aws command at a terminal shows the device flow there, and the call succeeds', async () => {
    const sandbox = await signedIn();
    backdateSession(sandbox, { auth_time: 2 * 3600_000 });
    const t = new TmuxPane(sandbox, `aws sts get-caller-identity --profile prod --endpoint-url ${service.url} --output text`);
    try {
      const screen = await t.waitFor(/^http:\/\/127\.0\.0\.1:\d+\/device\?user_code=\S+$/m);
      expect(screen).toContain(`guard: step-up for profile "${sandbox.profile}": tier privileged (rule prod-account) needs a sign-in in the last 1h; yours was 2h ago`);
      await approveDevice(/^(http:\/\/127\.0\.0\.1:\d+\/device\?user_code=\S+)$/m.exec(screen)![1], { login: 'alice' });
      const done = await t.waitFor(/assumed-role\/deploy\/alice/);
      expect(await t.exitCode(), done).toBe(0);
      expect(done).toMatch(/111122223333\s+arn:aws:sts::111122223333:assumed-role\/deploy\/alice/);
      expect(auditEvents(sandbox).some((e) => e.event === 'step_up' && e.command === 'aws-credential')).toBe(true);
    } finally {
      t.kill();
    }
    await runGuard(['logout'], sandbox.env);
  });
});
