/**
 * guard aws-config's edits of the AWS config and credentials files (SPEC
 * §15): byte-preserving, idempotent, undoable byte for byte; and the
 * credential_process line split as the aws CLI splits it — Python's shlex is
 * the oracle (botocore calls shlex.split on it).
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { dropCompetingKeys, restoreSection, setCredentialProcess, type SectionEdit } from '../../src/integrations/aws/aws-config-edit.ts';
import { configProfiles, configSections, credentialsSections, parseIni, splitCommandLine } from '../../src/integrations/aws/ini.ts';
import { shlexWord } from '../../src/util/shell-quote.ts';
import { GuardError } from '../../src/errors.ts';

const CMD = '/usr/local/bin/guard aws-credential --role-arn arn:aws:iam::111122223333:role/deploy';
const FILE = '/home/u/.aws/config';

function changed(edit: SectionEdit): Extract<SectionEdit, { changed: true }> {
  if (!edit.changed) throw new Error('expected a change');
  return edit;
}

const undo = (text: string, edit: Extract<SectionEdit, { changed: true }>, name: string) => {
  const result = restoreSection(text, edit.backup, (ini) => configSections(ini, name), `profile ${name}`);
  if (!result.ok) throw new Error(result.why);
  return result.text;
};

describe('setCredentialProcess', () => {
  it.each([
    ['a profile with static keys: they go, the line comes after the last setting left, nothing else moves', '# top\n[default]\nregion = eu-west-1\n\n[profile prod]\nregion = us-east-1\naws_access_key_id = AKIA1\naws_secret_access_key = s1\noutput = json\n\n# next\n[profile dev]\nregion = x\n', 'prod', `# top\n[default]\nregion = eu-west-1\n\n[profile prod]\nregion = us-east-1\noutput = json\ncredential_process = ${CMD}\n\n# next\n[profile dev]\nregion = x\n`, ['aws_access_key_id', 'aws_secret_access_key']],
    ['an existing credential_process is replaced where it stands; SSO and assume-role settings move out', '[profile prod]\ncredential_process = aws-vault export --format=json prod\nsso_start_url = https://x\nsso_region = us-east-1\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\nregion = us-east-1\n', 'prod', `[profile prod]\ncredential_process = ${CMD}\nregion = us-east-1\n`, ['sso_start_url', 'sso_region', 'role_arn', 'source_profile']],
    ['[default] and keys in any case, with CRLF, no final line ending', '[default]\r\nAWS_ACCESS_KEY_ID: AKIA1\r\nregion=us-east-1', 'default', `[default]\r\nregion=us-east-1\r\ncredential_process = ${CMD}\r\n`, ['aws_access_key_id']],
    ['a nested block stays whole (its indented lines are part of it)', '[profile prod]\ns3 =\n  max_concurrent_requests = 10\n  aws_access_key_id = not-a-key\n\n[profile x]\n', 'prod', `[profile prod]\ns3 =\n  max_concurrent_requests = 10\n  aws_access_key_id = not-a-key\ncredential_process = ${CMD}\n\n[profile x]\n`, []],
    ['an empty section gets the line under its header', '[profile prod]\n[profile other]\nregion = x\n', 'prod', `[profile prod]\ncredential_process = ${CMD}\n[profile other]\nregion = x\n`, []],
    ['a missing profile is added at the end, after a blank line', 'region = nothing', 'prod', undefined, []],
  ])('%s', (_name, text, name, expected, moved) => {
    if (expected === undefined) {
      expect(() => setCredentialProcess(text, FILE, name, CMD)).toThrow(GuardError); // a setting before any section: not a valid file
      return;
    }
    const edit = changed(setCredentialProcess(text, FILE, name, CMD));
    expect(edit.text).toBe(expected);
    expect(edit.moved).toEqual(moved);
    expect(setCredentialProcess(edit.text, FILE, name, CMD)).toMatchObject({ changed: false }); // idempotent
    expect(undo(edit.text, edit, name)).toBe(text); // byte for byte
  });

  it('adds [profile NAME] (or [default]) when missing, and --undo takes exactly that away', () => {
    for (const [text, name, expected] of [
      ['[default]\nregion = us-east-1', 'prod', `[default]\nregion = us-east-1\n\n[profile prod]\ncredential_process = ${CMD}\n`],
      ['[default]\nregion = us-east-1\n', 'prod', `[default]\nregion = us-east-1\n\n[profile prod]\ncredential_process = ${CMD}\n`],
      ['', 'default', `[default]\ncredential_process = ${CMD}\n`],
    ] as const) {
      const edit = changed(setCredentialProcess(text, FILE, name, CMD));
      expect(edit.text).toBe(expected);
      expect(undo(edit.text, edit, name)).toBe(text);
      // Another profile added after guard's: undo still removes only guard's section.
      const later = undo(`${edit.text}[profile later]\nregion = x\n`, edit, name);
      expect(later).not.toContain('credential_process');
      expect(later.startsWith(text)).toBe(true);
      expect(later.slice(text.length)).toMatch(/^\n*\[profile later\]\nregion = x\n$/);
    }
  });

  it('finds the profile as botocore does ([profile "x"], extra spaces), and refuses two sections for one profile', () => {
    const edit = changed(setCredentialProcess('[profile   "prod"]\nregion = x\n', FILE, 'prod', CMD));
    expect(edit.text).toBe(`[profile   "prod"]\nregion = x\ncredential_process = ${CMD}\n`);
    expect(() => setCredentialProcess('[default]\na = 1\n[profile default]\nb = 2\n', FILE, 'default', CMD)).toThrow(/2 sections for profile default/);
    expect(configProfiles(parseIni('[default]\n[profile a]\n[profileb]\n[profile c d]\n[sso-session s]\n[preview]\n', FILE)).map((p) => p.name)).toEqual(['default', 'a']);
  });

  it('refuses a file the aws CLI could not read, naming the line', () => {
    expect(() => setCredentialProcess('[profile prod]\njust words\n', FILE, 'prod', CMD)).toThrow(`${FILE}:2: a line that is neither "key = value" nor a [section]`);
  });

  it('a section changed by hand after guard\'s edit: --undo refuses; keys added since are not silently moved over the old backup', () => {
    const text = '[profile prod]\naws_access_key_id = AKIA1\n';
    const edit = changed(setCredentialProcess(text, FILE, 'prod', CMD));
    const edited = `${edit.text}region = x\n`;
    expect(restoreSection(edited, edit.backup, (ini) => configSections(ini, 'prod'), 'profile prod')).toEqual({ ok: false, why: `profile prod in ${FILE} was changed after guard's edit` });
    // A new role: only guard's own line changes, the original backup stays the one to restore.
    const other = changed(setCredentialProcess(edited, FILE, 'prod', CMD.replace('deploy', 'admin'), edit.backup));
    expect(other.backup.before).toBe(text);
    expect(() => setCredentialProcess(`${edited}aws_secret_access_key = again\n`, FILE, 'prod', CMD, edit.backup)).toThrow(/aws_secret_access_key of \[profile prod\] .* were added after guard's last edit/);
  });
});

describe('dropCompetingKeys (the shared credentials file)', () => {
  it('moves the static keys of [NAME] and nothing else; nothing to do is no change', () => {
    const text = '[default]\naws_access_key_id = A\naws_secret_access_key = B\n\n[prod]\n# old keys\naws_access_key_id = C\naws_secret_access_key = D\naws_session_token = E\nregion = x\n';
    const edit = changed(dropCompetingKeys(text, '/h/.aws/credentials', 'prod'));
    expect(edit.text).toBe('[default]\naws_access_key_id = A\naws_secret_access_key = B\n\n[prod]\n# old keys\nregion = x\n');
    expect(edit.moved).toEqual(['aws_access_key_id', 'aws_secret_access_key', 'aws_session_token']);
    expect(dropCompetingKeys(edit.text, '/h/.aws/credentials', 'prod')).toMatchObject({ changed: false });
    expect(dropCompetingKeys('[other]\naws_access_key_id = A\n', '/h/.aws/credentials', 'prod')).toEqual({ changed: false });
    const restored = restoreSection(edit.text, edit.backup, (ini) => credentialsSections(ini, 'prod'), '[prod]');
    expect(restored).toEqual({ ok: true, text });
  });

  it('moves the other credential sources too (botocore reads this file\'s [NAME] over the config\'s): assume-role, web identity, SSO, a credential_process', () => {
    const text = '[prod]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\nregion = x\nweb_identity_token_file = /t\nsso_session = s\ncredential_process = /bin/false\n';
    const edit = changed(dropCompetingKeys(text, '/h/.aws/credentials', 'prod'));
    expect(edit.text).toBe('[prod]\nregion = x\n');
    expect(edit.moved).toEqual(['role_arn', 'source_profile', 'web_identity_token_file', 'sso_session', 'credential_process']);
    expect(restoreSection(edit.text, edit.backup, (ini) => credentialsSections(ini, 'prod'), '[prod]')).toEqual({ ok: true, text });
  });
});

/** What Python's shlex.split (botocore's compat_shell_split) makes of each line. */
function shlexSplit(lines: string[]): Array<string[] | null> {
  const script = 'import json,shlex,sys\nout=[]\nfor line in json.load(sys.stdin):\n  try: out.append(shlex.split(line))\n  except ValueError: out.append(None)\nprint(json.dumps(out))';
  return JSON.parse(execFileSync('python3', ['-c', script], { input: JSON.stringify(lines), encoding: 'utf8' })) as Array<string[] | null>;
}

describe('the credential_process line, split as the aws CLI splits it', () => {
  it('shlexWord quoting round-trips through shlex (the oracle) and splitCommandLine, for any path', () => {
    const words = fc.array(fc.string({ unit: fc.constantFrom(...'ab/ .-_\'"\\$`*?~!&|<>()[]{}:=@+,%^é\t'.split('')), minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 4 });
    const samples = fc.sample(words, 200);
    const lines = samples.map((sample) => sample.map(shlexWord).join(' '));
    const oracle = shlexSplit(lines);
    samples.forEach((sample, i) => {
      expect(oracle[i], lines[i]).toEqual(sample);
      expect(splitCommandLine(lines[i]!), lines[i]).toEqual(sample);
    });
  });

  it('splitCommandLine reads what people write as shlex does (double quotes, backslashes), and rejects what it rejects', () => {
    const lines = ['aws-vault export --format=json prod', '"/opt/my tools/guard" aws-credential', 'a\\ b "c \\" d" \'e \\ f\' "g\\h"', 'x "unterminated', "y 'unterminated", 'z \\'];
    const oracle = shlexSplit(lines);
    lines.forEach((line, i) => expect(splitCommandLine(line) ?? null, line).toEqual(oracle[i]));
  });
});
