/**
 * `guard aws-config --aws-profile NAME --role-arn ARN [--tier T] [--profile P] [--undo]`
 * (SPEC §15): sets the AWS profile's `credential_process` to `guard
 * aws-credential …` in `$AWS_CONFIG_FILE` or `~/.aws/config`, moving what
 * would win over it (static keys there and in the credentials file, other
 * credential sources) into a backup; prints what it changed and the undo
 * line. `--undo` puts the profile's sections back byte for byte.
 */
import type { Deps } from '../deps.ts';
import { GuardError } from '../errors.ts';
import { dropCompetingKeys, restoreSection, setCredentialProcess, type SectionBackup } from '../integrations/aws/aws-config-edit.ts';
import { awsFiles, readAwsBackups, readAwsFile, writeAwsBackups, writeAwsFile } from '../integrations/aws/aws-config-file.ts';
import { editBackupPath } from '../files/edit-backup.ts';
import { configSections, credentialsSections } from '../integrations/aws/ini.ts';
import { checkRoleArn } from '../integrations/aws/role.ts';
import { launcherPath } from '../util/runtime.ts';
import { shellLine, shlexWord } from '../util/shell-quote.ts';
import { escapeControl } from '../util/text.ts';
import { loadContext, profileFor, type GlobalOptions } from './context.ts';

export interface AwsConfigOptions extends GlobalOptions {
  awsProfile?: string;
  roleArn?: string;
  tier?: string;
  undo?: boolean;
  /** The file that starts this guard (util/runtime.ts selfPath()): what the credential_process line runs. */
  self?: string;
}

/** An AWS profile name guard writes into a section header: one word the aws CLI reads back the same. */
function checkAwsProfile(name: string | undefined): string {
  if (!name) throw new GuardError('usage', 'which AWS profile? guard aws-config --aws-profile NAME --role-arn ARN');
  if (!/^[^\s[\]#;'"\\\u0000-\u001f\u007f]+$/.test(name)) throw new GuardError('usage', `--aws-profile must be one word without quotes, brackets, # or ; — not "${escapeControl(name)}"`);
  return name;
}

export async function awsConfig(deps: Deps, options: AwsConfigOptions): Promise<number> {
  const name = checkAwsProfile(options.awsProfile);
  const files = awsFiles(deps.env);
  const backups = readAwsBackups(files.config);
  const say = (lines: string[]) => deps.io.out(`${lines.map(escapeControl).join('\n')}\n`);
  if (options.undo) return undo(files.config, name, backups, say);

  const roleArn = checkRoleArn(options.roleArn);
  // Check the tier and profile now, not when the aws CLI first runs the process.
  const { config } = await loadContext(deps, options);
  if (options.tier !== undefined && !config.tiers.has(options.tier)) throw new GuardError('usage', `unknown tier "${escapeControl(options.tier)}" (known: ${[...config.tiers.keys()].join(', ')})`);
  if (options.profile !== undefined) profileFor(deps, config, options);
  const words = [launcherPath(options.self) ?? 'guard', 'aws-credential', '--role-arn', roleArn, ...(options.profile ? ['--profile', options.profile] : []), ...(options.tier ? ['--tier', options.tier] : [])];
  // An INI value is one line, and other AWS SDKs' parsers may cut it at # or ;.
  const unsafe = words.find((word) => /[\u0000-\u001f\u007f#;]/.test(word));
  if (unsafe !== undefined) throw new GuardError('usage', `"${escapeControl(unsafe)}" holds a character an AWS config line cannot carry safely (a line break, # or ;); install guard under another path or rename the profile or tier`);
  // The aws CLI splits the line like a shell, without one: quote what needs it.
  const command = words.map(shlexWord).join(' ');

  const previous = backups[name];
  const configEdit = setCredentialProcess(readAwsFile(files.config), files.config, name, command, previous?.config);
  const credentialsEdit = dropCompetingKeys(readAwsFile(files.credentials), files.credentials, name, previous?.credentials);
  const undoLine = `  undo: ${shellLine(['guard', 'aws-config', '--aws-profile', name, '--undo'])}`;
  if (!configEdit.changed && !credentialsEdit.changed) {
    say([`unchanged: ${files.config}`, `  profile ${name} already runs: ${command}`]);
    return 0;
  }
  // Only the credentials changed: the config section is guard's already (and restores to itself without an earlier backup).
  const configBackup: SectionBackup = configEdit.changed ? configEdit.backup : (previous?.config ?? { file: files.config, before: configEdit.current!, after: configEdit.current! });
  backups[name] = {
    config: configBackup,
    ...(credentialsEdit.changed ? { credentials: credentialsEdit.backup } : previous?.credentials ? { credentials: previous.credentials } : {}),
  };
  // The backup first: a crash in between leaves an undo with nothing to undo, never moved keys without their copy.
  writeAwsBackups(files.config, backups);
  if (credentialsEdit.changed) writeAwsFile(files.credentials, credentialsEdit.text);
  if (configEdit.changed) writeAwsFile(files.config, configEdit.text);
  const moved = [
    ...(configEdit.changed && configEdit.moved.length > 0 ? [`  moved into the backup: ${configEdit.moved.join(', ')} of profile ${name} in ${files.config}`] : []),
    ...(credentialsEdit.changed ? [`  moved into the backup: ${credentialsEdit.moved.join(', ')} of [${name}] in ${files.credentials} (the aws CLI would prefer them)`] : []),
  ];
  say([`edited: ${files.config} (backup: ${editBackupPath(files.config)})`, `  profile ${name}: credential_process = ${command}`, ...moved, undoLine]);
  return 0;
}

function undo(configFile: string, name: string, backups: ReturnType<typeof readAwsBackups>, say: (lines: string[]) => void): number {
  const backup = backups[name];
  if (!backup) throw new GuardError('usage', escapeControl(`no backup for AWS profile ${name} in ${editBackupPath(configFile)}; nothing to undo`));
  const config = restoreSection(readAwsFile(backup.config.file), backup.config, (ini) => configSections(ini, name), `profile ${name}`);
  const credentials = backup.credentials && restoreSection(readAwsFile(backup.credentials.file), backup.credentials, (ini) => credentialsSections(ini, name), `[${name}]`);
  // All or nothing, and the backup stays when anything changed by hand: it may hold the only copy of the keys.
  for (const result of [config, credentials]) {
    if (result && !result.ok) throw new GuardError('config', escapeControl(`${result.why}; nothing was restored, and the backup stays in ${editBackupPath(configFile)}`));
  }
  const edited: string[] = [];
  if (credentials?.ok && credentials.text !== readAwsFile(backup.credentials!.file)) {
    writeAwsFile(backup.credentials!.file, credentials.text);
    edited.push(backup.credentials!.file);
  }
  if (config.ok && config.text !== readAwsFile(backup.config.file)) {
    writeAwsFile(backup.config.file, config.text);
    edited.push(backup.config.file);
  }
  delete backups[name];
  writeAwsBackups(configFile, backups);
  say([edited.length > 0 ? `restored: ${edited.join(', ')}` : `unchanged: ${configFile}`, `  profile ${name} is as it was before guard aws-config`]);
  return 0;
}
