/**
 * The AWS config and credentials files as botocore reads them (Python's
 * configparser: `[section]` headers, `key = value` or `key: value` lines,
 * keys case-insensitive, indented lines continuing a value, `#` and `;`
 * comments), located line by line so an edit can change a few lines and
 * keep every other byte. Pure.
 *
 * @see https://docs.python.org/3/library/configparser.html#supported-ini-file-structure
 * @see https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html
 */
import { GuardError } from '../../errors.ts';
import { escapeControl } from '../../util/text.ts';

export interface IniEntry {
  /** The key, lower-cased as configparser does. */
  key: string;
  /** Its value's first line, trimmed. */
  value: string;
  /** Lines [start, end): the key line and its continuation lines. */
  start: number;
  end: number;
}

export interface IniSection {
  /** What stands between the brackets, as written. */
  header: string;
  /** Lines [start, end): the header line up to the next header or the end of the file. */
  start: number;
  end: number;
  entries: IniEntry[];
}

export interface IniFile {
  /** Every line with its own line ending (the last may have none). */
  lines: string[];
  sections: IniSection[];
  /** The line ending the file uses. */
  eol: '\n' | '\r\n';
}

const bare = (line: string) => line.replace(/\r?\n$/, '');

/** Parses the file; a line configparser would refuse is a config error naming it. */
export function parseIni(text: string, file: string): IniFile {
  const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const sections: IniSection[] = [];
  let section: IniSection | undefined;
  let entry: IniEntry | undefined;
  let entryIndent = 0;
  lines.forEach((line, index) => {
    const raw = bare(line);
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return; // never ends a value
    const indent = raw.length - raw.trimStart().length;
    if (entry && indent > entryIndent) {
      entry.end = index + 1; // a continuation line
      return;
    }
    entry = undefined;
    const header = /^\[(.+)\]/.exec(trimmed);
    if (header) {
      if (section) section.end = index;
      section = { header: header[1]!, start: index, end: lines.length, entries: [] };
      sections.push(section);
      return;
    }
    const pair = /^(.*?)\s*[=:]\s*(.*)$/.exec(trimmed);
    if (!section || !pair || pair[1] === '') {
      throw new GuardError('config', escapeControl(`${file}:${index + 1}: ${section ? 'a line that is neither "key = value" nor a [section]' : 'a setting before the first [section]'}; the aws CLI cannot read this file either — fix it first`));
    }
    entry = { key: pair[1]!.toLowerCase(), value: pair[2]!, start: index, end: index + 1 };
    entryIndent = indent;
    section.entries.push(entry);
  });
  return { lines, sections, eol: text.includes('\r\n') ? '\r\n' : '\n' };
}

/** A configparser section header split like a shell word list (botocore reads `profile "my name"` so). */
export function headerWords(header: string): string[] | undefined {
  return splitCommandLine(header);
}

/**
 * Splits a command line as Python's shlex.split does (POSIX mode: quotes,
 * backslashes, whitespace), without running anything: how the aws CLI runs a
 * credential_process. undefined for an unterminated quote.
 */
export function splitCommandLine(line: string): string[] | undefined {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return undefined;
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let text = '';
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && (line[j + 1] === '"' || line[j + 1] === '\\')) j++; // shlex: only these two are escaped inside "…"
        text += line[j];
      }
      if (j >= line.length) return undefined;
      word = (word ?? '') + text;
      i = j;
    } else if (c === '\\') {
      if (i + 1 >= line.length) return undefined;
      word = (word ?? '') + line[++i];
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? '') + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The sections of the config file that are AWS profile NAME: `[profile NAME]`, and `[default]` for default. */
export function configSections(ini: IniFile, name: string): IniSection[] {
  return ini.sections.filter((section) => {
    if (name === 'default' && section.header === 'default') return true;
    if (!section.header.startsWith('profile')) return false;
    const words = headerWords(section.header);
    return words?.length === 2 && words[0] === 'profile' && words[1] === name;
  });
}

/** The profile names of a config file's sections, in order (botocore's reading of the headers). */
export function configProfiles(ini: IniFile): Array<{ name: string; section: IniSection }> {
  return ini.sections.flatMap((section) => {
    if (section.header === 'default') return [{ name: 'default', section }];
    const words = section.header.startsWith('profile') ? headerWords(section.header) : undefined;
    return words?.length === 2 && words[0] === 'profile' ? [{ name: words[1]!, section }] : [];
  });
}

/** The section of the credentials file for profile NAME (named as is there). */
export function credentialsSections(ini: IniFile, name: string): IniSection[] {
  return ini.sections.filter((section) => section.header === name);
}
