/**
 * guard doctor's AWS check (SPEC §15): the role of each profile's
 * credential_process is read as guard aws-credential's option parser reads
 * it, and its fix names that role — never another word of the line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkAws, roleArnOf } from '../../src/doctor/check-aws.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function awsEnv(config: string, credentials = ''): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'guard-doctor-aws-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'config'), config);
  writeFileSync(join(dir, 'credentials'), credentials, { mode: 0o600 });
  return { PATH: process.env.PATH, HOME: dir, AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') };
}

describe('guard doctor: the role of an AWS profile', () => {
  it('reads --role-arn ARN and --role-arn=ARN (the last wins, nothing after --); none is undefined', () => {
    expect(roleArnOf(['--role-arn', 'arn:aws:iam::1:role/a'])).toBe('arn:aws:iam::1:role/a');
    expect(roleArnOf(['--tier', 'x', '--role-arn=arn:aws:iam::1:role/b'])).toBe('arn:aws:iam::1:role/b');
    expect(roleArnOf(['--role-arn=arn:aws:iam::1:role/a', '--role-arn', 'arn:aws:iam::1:role/c'])).toBe('arn:aws:iam::1:role/c');
    expect(roleArnOf(['--tier', 'x'])).toBeUndefined();
    expect(roleArnOf(['--role-arn'])).toBeUndefined();
    expect(roleArnOf(['--', '--role-arn', 'x'])).toBeUndefined();
  });

  it('names the role of each spelling; a line without one fails, and its fix asks for the ARN instead of naming the program', () => {
    const env = awsEnv(
      [
        '[profile eq]', 'credential_process = /bin/true aws-credential --role-arn=arn:aws:iam::111122223333:role/deploy',
        '[profile spaced]', 'credential_process = /bin/true aws-credential --tier privileged --role-arn arn:aws:iam::111122223333:role/ops',
        '[profile none]', 'credential_process = /bin/true aws-credential --tier privileged',
        '',
      ].join('\n'),
    );
    expect(checkAws(env, '/bin/true', (path) => path)).toEqual([
      { id: 'aws', status: 'pass', summary: 'aws profile eq gets credentials from this guard (role arn:aws:iam::111122223333:role/deploy)' },
      { id: 'aws', status: 'pass', summary: 'aws profile spaced gets credentials from this guard (role arn:aws:iam::111122223333:role/ops)' },
      { id: 'aws', status: 'fail', class: 'config', summary: 'aws profile none: credential_process runs guard aws-credential without --role-arn, which it needs', fix: 'guard aws-config --aws-profile none --role-arn ARN' },
    ]);
  });

  it('a program that cannot be started (a directory, a file without the x bit) fails, even though it exists', () => {
    const env = awsEnv('');
    writeFileSync(join(env.HOME!, 'guard'), '#!/bin/sh\n', { mode: 0o644 });
    writeFileSync(env.AWS_CONFIG_FILE!, ['[profile dir]', `credential_process = ${env.HOME} aws-credential --role-arn arn:aws:iam::111122223333:role/a`, '[profile plain]', `credential_process = ${join(env.HOME!, 'guard')} aws-credential --role-arn arn:aws:iam::111122223333:role/a`, ''].join('\n'));
    expect(checkAws(env, '/bin/true', (path) => path).map((check) => [check.status, check.summary])).toEqual([
      ['fail', `aws profile dir: credential_process runs ${env.HOME}, which cannot be started`],
      ['fail', `aws profile plain: credential_process runs ${join(env.HOME!, 'guard')}, which cannot be started`],
    ]);
  });

  it('the fix of a warning names the role it read', () => {
    const env = awsEnv('[profile eq]\ncredential_process = /bin/true aws-credential --role-arn=arn:aws:iam::111122223333:role/deploy\n', '[eq]\naws_access_key_id = AKIA\n');
    expect(checkAws(env, '/bin/true', (path) => path)).toEqual([
      expect.objectContaining({ status: 'warn', fix: 'guard aws-config --aws-profile eq --role-arn arn:aws:iam::111122223333:role/deploy   # moves them into a backup' }),
    ]);
  });
});
