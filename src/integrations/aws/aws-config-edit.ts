/**
 * `guard aws-config`'s edits (SPEC §15), as changes of a file's text: one
 * profile's section gets guard's `credential_process` line, and the lines
 * that would win over it move out of that section and of the credentials
 * file's `[NAME]` — static keys (which the aws CLI prefers, above all in the
 * credentials file), and assume-role, web identity, SSO and login settings
 * (and, in the credentials file, its own credential_process). Every other
 * byte stays. What a section held before, and
 * what guard made of it, is the backup from which `--undo` puts the section
 * back byte for byte. Pure: text in, text out.
 *
 * @see https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-sourcing-external.html
 */
import { GuardError } from '../../errors.ts';
import { escapeControl } from '../../util/text.ts';
import { configSections, credentialsSections, parseIni, type IniFile, type IniSection } from './ini.ts';

/** Long-lived (or session) keys: in either file they answer before credential_process. */
export const STATIC_KEYS = ['aws_access_key_id', 'aws_secret_access_key', 'aws_session_token', 'aws_security_token'];
/**
 * Settings that make another provider answer for the profile. botocore merges
 * the credentials file's `[NAME]` over the config's `[profile NAME]`, and its
 * assume-role, web identity and SSO providers come before credential_process:
 * these win from either file.
 */
export const COMPETING_KEYS = [
  'role_arn', 'source_profile', 'credential_source', 'role_session_name', 'web_identity_token_file',
  'sso_session', 'sso_start_url', 'sso_region', 'sso_account_id', 'sso_role_name', 'login_session',
];
export const PROCESS_KEY = 'credential_process';

/** One section as it was and as guard left it: what --undo needs. */
export interface SectionBackup {
  file: string;
  /** The section's text before guard's first edit; empty when guard added the section. */
  before: string;
  /** The section's text as guard wrote it. */
  after: string;
  /** What guard put before an added section (a line ending, a blank line). */
  separator?: string;
}

export type SectionEdit =
  /** `current`: the section's text, when there is one. */
  | { changed: false; current?: string }
  | { changed: true; text: string; backup: SectionBackup; moved: string[] };

const sectionText = (ini: IniFile, section: IniSection) => ini.lines.slice(section.start, section.end).join('');

function onlySection(sections: IniSection[], file: string, what: string): IniSection | undefined {
  if (sections.length > 1) {
    throw new GuardError('config', escapeControl(`${file} has ${sections.length} sections for ${what} (lines ${sections.map((s) => s.start + 1).join(', ')}); merge them into one first`));
  }
  return sections[0];
}

/**
 * Rewrites one section: drops the entries whose key is in `drop`, and puts
 * `line` where the first `credential_process` stood, else after the last
 * remaining entry, else under the header. Returns the new section text and
 * the keys it dropped.
 */
function rewrite(ini: IniFile, section: IniSection, drop: ReadonlySet<string>, line?: string): { text: string; moved: string[] } {
  const removed = section.entries.filter((entry) => entry.key === PROCESS_KEY || drop.has(entry.key));
  const kept = section.entries.filter((entry) => !removed.includes(entry));
  // The line index `line` goes before.
  const anchor = section.entries.find((entry) => entry.key === PROCESS_KEY)?.start ?? kept.at(-1)?.end ?? section.start + 1;
  const out: string[] = [];
  const insert = () => {
    if (out.length > 0 && !out.at(-1)!.endsWith('\n')) out[out.length - 1] += ini.eol;
    out.push(`${line}${ini.eol}`);
  };
  for (let i = section.start; i < section.end; i++) {
    if (line !== undefined && i === anchor) insert();
    if (!removed.some((entry) => i >= entry.start && i < entry.end)) out.push(ini.lines[i]!);
  }
  if (line !== undefined && anchor >= section.end) insert();
  // A credential_process that `line` replaces is no move; one taken away without a replacement is.
  return { text: out.join(''), moved: [...new Set(removed.filter((entry) => line === undefined || entry.key !== PROCESS_KEY).map((entry) => entry.key))] };
}

/** The file's text with lines [start, end) replaced by `text`. */
const splice = (ini: IniFile, start: number, end: number, text: string) => [...ini.lines.slice(0, start), text, ...ini.lines.slice(end)].join('');

/**
 * Sets `credential_process = COMMAND` for profile NAME in the config file's
 * text (adding `[profile NAME]`, or `[default]`, at the end when missing),
 * moving the competing keys out. `previous` is an earlier backup of this
 * section: its `before` stays the one to restore.
 */
export function setCredentialProcess(text: string, file: string, name: string, command: string, previous?: SectionBackup): SectionEdit {
  const ini = parseIni(text, file);
  const line = `${PROCESS_KEY} = ${command}`;
  const section = onlySection(configSections(ini, name), file, `profile ${name} ([default] and [profile default] count as one)`);
  if (!section) {
    const header = name === 'default' ? '[default]' : `[profile ${name}]`;
    const separator = text === '' ? '' : `${text.endsWith('\n') ? '' : ini.eol}${ini.eol}`;
    const added = `${header}${ini.eol}${line}${ini.eol}`;
    return { changed: true, text: `${text}${separator}${added}`, backup: { file, before: '', after: added, separator }, moved: [] };
  }
  return replaceSection(ini, section, file, rewrite(ini, section, new Set([...STATIC_KEYS, ...COMPETING_KEYS]), line), previous);
}

/**
 * Moves out of the credentials file's text what of profile NAME would win
 * over the config's credential_process there (botocore reads that file's
 * section over the config's): static keys, the competing settings and any
 * credential_process of its own. Unchanged when it has none.
 */
export function dropCompetingKeys(text: string, file: string, name: string, previous?: SectionBackup): SectionEdit {
  const ini = parseIni(text, file);
  const section = onlySection(credentialsSections(ini, name), file, `profile ${name}`);
  if (!section) return { changed: false };
  return replaceSection(ini, section, file, rewrite(ini, section, new Set([...STATIC_KEYS, ...COMPETING_KEYS])), previous);
}

function replaceSection(ini: IniFile, section: IniSection, file: string, next: { text: string; moved: string[] }, previous?: SectionBackup): SectionEdit {
  const current = sectionText(ini, section);
  if (next.text === current) return { changed: false, current };
  // A section changed by hand since guard's edit: the backup holds the original; keys added since would be lost.
  if (previous && previous.after !== current && next.moved.length > 0) {
    throw new GuardError('config', escapeControl(`the ${next.moved.join(', ')} of [${section.header}] in ${file} were added after guard's last edit, whose backup holds the original; remove them by hand (or restore with --undo first)`));
  }
  const backup: SectionBackup = previous ? { ...previous, after: next.text } : { file, before: current, after: next.text };
  return { changed: true, text: splice(ini, section.start, section.end, next.text), backup, moved: next.moved };
}

export type RestoreResult = { ok: true; text: string } | { ok: false; why: string };

/**
 * Puts a section back as the backup has it, when the file still holds the
 * section exactly as guard wrote it; otherwise says what changed (the
 * backup is kept: it may hold the only copy of the keys).
 */
export function restoreSection(text: string, backup: SectionBackup, find: (ini: IniFile) => IniSection[], what: string): RestoreResult {
  const ini = parseIni(text, backup.file);
  const sections = find(ini);
  const section = sections.length === 1 ? sections[0]! : undefined;
  if (!section) {
    if (sections.length === 0 && backup.before === '') return { ok: true, text }; // the section guard added is gone already
    return { ok: false, why: `${backup.file} has ${sections.length === 0 ? 'no section' : `${sections.length} sections`} for ${what} now` };
  }
  const current = sectionText(ini, section);
  if (current === backup.before) return { ok: true, text }; // restored already
  if (current !== backup.after) return { ok: false, why: `${what} in ${backup.file} was changed after guard's edit` };
  if (backup.before !== '') return { ok: true, text: splice(ini, section.start, section.end, backup.before) };
  // guard added the section: remove it, and — when nothing was added after it — the separator guard put before it.
  let before = ini.lines.slice(0, section.start).join('');
  const after = ini.lines.slice(section.end).join('');
  if (after === '' && backup.separator && before.endsWith(backup.separator)) before = before.slice(0, before.length - backup.separator.length);
  return { ok: true, text: before + after };
}
