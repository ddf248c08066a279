/**
 * `guard kubeconfig` (SPEC §9) on a hand-written kubeconfig with several
 * contexts, comments and a static-token user: the exact diff, idempotence,
 * --undo back to the same bytes, KUBECONFIG's first file, and refusals.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFor, createSandbox, GUARD_BIN, runGuard, type Sandbox } from '../support/guard.ts';

const ORIGINAL = `# Work clusters. Edited by hand: keep the comments!
apiVersion: v1
clusters:
- cluster:
    server: https://prod.example.com:6443
  name: prod
- cluster:
    server: https://staging.example.com:6443   # staging API
  name: staging
contexts:
- context:
    cluster: prod
    namespace: payments
    user: prod-admin
  name: prod
# staging and dev share one user
- context:
    cluster: staging
    user: shared
  name: staging
- context: {cluster: staging, user: shared}
  name: dev
current-context: staging
kind: Config
preferences: {}
users:
- name: prod-admin
  user:
    # static token from the old days
    token: s3cr3t-static-token
- name: shared
  user:
    client-certificate-data: Zm9v
    client-key-data: YmFy
`;

function setUp(): Sandbox & { file: string; env: NodeJS.ProcessEnv } {
  const sandbox = createSandbox();
  sandbox.writeConfig(configFor(sandbox, 'http://127.0.0.1:9', { tiers: '  privileged: { idle: 15m, reauth_within: 10m }\n  standard: { idle: 45m }' }));
  const file = join(sandbox.dir, 'kubeconfig');
  writeFileSync(file, ORIGINAL, { mode: 0o600 });
  // The first file of KUBECONFIG is the one guard edits; the second is left alone.
  const other = join(sandbox.dir, 'other-kubeconfig');
  writeFileSync(other, 'apiVersion: v1\nkind: Config\n', { mode: 0o600 });
  return { ...sandbox, file, env: { ...sandbox.env, KUBECONFIG: `${file}:${other}` } };
}

const read = (file: string) => readFileSync(file, 'utf8');

describe('guard kubeconfig', () => {
  it('rewrites the context\'s own user to the exec plugin, keeps every other byte, is idempotent, and --undo restores the file', async () => {
    const s = setUp();
    const result = await runGuard(['kubeconfig', '--context', 'prod', '--tier', 'privileged'], s.env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        `edited: ${s.file} (backup: ${s.file}.guard-backup.json)`,
        '  user "prod-admin" of context "prod": now runs guard kube-credential --tier privileged (was: token)',
        '  tier: privileged (default_tier, --tier)',
        '  undo: guard kubeconfig --context prod --undo',
        '',
      ].join('\n'),
    );
    const expected = ORIGINAL.replace(
      '    # static token from the old days\n    token: s3cr3t-static-token\n',
      [
        '    exec:',
        '      apiVersion: client.authentication.k8s.io/v1',
        `      command: ${GUARD_BIN}`,
        '      args:',
        '      - kube-credential',
        '      - --tier',
        '      - privileged',
        '      interactiveMode: IfAvailable',
        '      provideClusterInfo: true',
        '',
      ].join('\n'),
    );
    expect(read(s.file)).toBe(expected);
    expect(read(join(s.dir, 'other-kubeconfig'))).toBe('apiVersion: v1\nkind: Config\n');
    // The backup holds the static token: private, like the kubeconfig.
    expect(statSync(`${s.file}.guard-backup.json`).mode & 0o777).toBe(0o600);
    expect(statSync(s.file).mode & 0o777).toBe(0o600);

    const again = await runGuard(['kubeconfig', '--context', 'prod', '--tier', 'privileged'], s.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`unchanged: ${s.file}\n  context "prod" already uses guard (user "prod-admin"); nothing to change\n`);
    expect(read(s.file)).toBe(expected);

    // Another tier only changes the arguments; the backup still holds the original user.
    const retier = await runGuard(['kubeconfig', '--context', 'prod'], s.env);
    expect(retier.code).toBe(0);
    expect(read(s.file)).toBe(expected.replace('      - --tier\n      - privileged\n', ''));

    const undo = await runGuard(['kubeconfig', '--context', 'prod', '--undo'], s.env);
    expect(undo.code).toBe(0);
    expect(undo.stdout).toBe(`edited: ${s.file}\n  user "prod-admin" of context "prod": restored from the backup\n`);
    expect(read(s.file)).toBe(ORIGINAL);
    // Nothing left to restore: no empty backup left behind.
    expect(existsSync(`${s.file}.guard-backup.json`)).toBe(false);
    const twice = await runGuard(['kubeconfig', '--context', 'prod', '--undo'], s.env);
    expect(twice.code).toBe(64);
    expect(twice.stderr).toBe(`guard: no backup for context "prod" in ${s.file}.guard-backup.json; nothing to undo\n`);
  });

  it('a user shared with other contexts stays; the context gets its own guard user, and --undo removes it again', async () => {
    const s = setUp();
    const result = await runGuard(['kubeconfig', '--context', 'staging'], s.env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('context "staging": now uses the new user "guard-staging" that runs guard kube-credential (was "shared", kept: user "shared" is shared with "dev")');
    const after = read(s.file);
    expect(after).toBe(
      ORIGINAL.replace('    cluster: staging\n    user: shared\n', '    cluster: staging\n    user: guard-staging\n').replace(
        '    client-key-data: YmFy\n',
        [
          '    client-key-data: YmFy',
          '- name: guard-staging',
          '  user:',
          '    exec:',
          '      apiVersion: client.authentication.k8s.io/v1',
          `      command: ${GUARD_BIN}`,
          '      args:',
          '      - kube-credential',
          '      interactiveMode: IfAvailable',
          '      provideClusterInfo: true',
          '',
        ].join('\n'),
      ),
    );
    expect((await runGuard(['kubeconfig', '--context', 'staging'], s.env)).stdout).toContain('unchanged');
    // Two contexts guarded: undoing one keeps the other's backup; undoing the last removes the file.
    expect((await runGuard(['kubeconfig', '--context', 'prod'], s.env)).code).toBe(0);
    const undo = await runGuard(['kubeconfig', '--context', 'staging', '--undo'], s.env);
    expect(undo.code).toBe(0);
    expect(Object.keys(JSON.parse(read(`${s.file}.guard-backup.json`)).contexts)).toEqual(['prod']);
    expect((await runGuard(['kubeconfig', '--context', 'prod', '--undo'], s.env)).code).toBe(0);
    expect(read(s.file)).toBe(ORIGINAL);
    expect(existsSync(`${s.file}.guard-backup.json`)).toBe(false);
  });

  it('refuses an unknown context (64), an unknown tier (64) and an unknown profile before touching the file', async () => {
    const s = setUp();
    const noContext = await runGuard(['kubeconfig', '--context', 'nope'], s.env);
    expect(noContext.code).toBe(64);
    expect(noContext.stderr).toBe(`guard: no context "nope" in ${s.file} (it has: prod, staging, dev); guard kubeconfig edits the first file of KUBECONFIG\n`);
    const badTier = await runGuard(['kubeconfig', '--context', 'prod', '--tier', 'root'], s.env);
    expect(badTier.code).toBe(64);
    expect(badTier.stderr).toMatch(/^guard: unknown tier "root"/);
    const badProfile = await runGuard(['kubeconfig', '--context', 'prod', '--profile', 'ghost'], s.env);
    expect(badProfile.code).toBe(64);
    expect(read(s.file)).toBe(ORIGINAL);
  });

  it('--undo after the context was changed by hand restores nothing and keeps the backup (78)', async () => {
    const s = setUp();
    expect((await runGuard(['kubeconfig', '--context', 'prod'], s.env)).code).toBe(0);
    writeFileSync(s.file, read(s.file).replace('    user: prod-admin\n', '    user: shared\n'));
    const edited = read(s.file);
    const undo = await runGuard(['kubeconfig', '--context', 'prod', '--undo'], s.env);
    expect(undo.code).toBe(78);
    expect(undo.stderr).toBe(`guard: context "prod" no longer uses user "prod-admin"; nothing restored; the backup stays in ${s.file}.guard-backup.json\n`);
    expect(read(s.file)).toBe(edited);
    expect(JSON.parse(read(`${s.file}.guard-backup.json`)).contexts.prod.original).toContain('s3cr3t-static-token');
  });

  it('edits through a symlinked kubeconfig without replacing the link', async () => {
    const s = setUp();
    const { symlinkSync, lstatSync } = await import('node:fs');
    const link = join(s.dir, 'link-config');
    symlinkSync(s.file, link);
    const result = await runGuard(['kubeconfig', '--context', 'prod'], { ...s.env, KUBECONFIG: link });
    expect(result.code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(read(s.file)).toContain('- kube-credential');
  });
});
