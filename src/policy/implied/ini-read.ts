/**
 * INI files as Python's configparser reads them (the aws CLI's ~/.aws/config
 * and credentials, gcloud's configurations), read-only (guard aws-config
 * edits ~/.aws/config byte for byte elsewhere). Pure.
 *
 * @see https://docs.python.org/3/library/configparser.html#supported-ini-file-structure
 */

export type IniSections = Map<string, Map<string, string>>;

/** One line as configparser's reader sees it. */
export type IniLine =
  | { kind: 'empty' }
  | { kind: 'comment' }
  | { kind: 'section'; header: string }
  | { kind: 'option'; key: string; value: string }
  | { kind: 'continuation'; text: string }
  | { kind: 'invalid'; reason: string };

/** Python's universal newlines: `\r\n`, `\r` and `\n` each end a line. */
export function iniLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

/**
 * Classifies each line as configparser's `_read` does: `#` and `;` comment
 * lines (which end nothing), `[section]` headers, `key = value` or
 * `key: value` (key lower-cased, both sides trimmed, the key not empty), and
 * continuation lines: those indented more than the option line they
 * continue (not merely indented: an option line indented like the one
 * before is an option of its own). An empty line neither ends nor starts
 * anything.
 */
export function scanIni(lines: readonly string[]): IniLine[] {
  const out: IniLine[] = [];
  let inSection = false;
  let inOption = false;
  let indent = 0;
  for (const line of lines) {
    const text = line.trim();
    if (text === '') out.push({ kind: 'empty' });
    else if (text.startsWith('#') || text.startsWith(';')) out.push({ kind: 'comment' });
    else {
      const lineIndent = line.length - line.trimStart().length;
      if (inOption && lineIndent > indent) {
        out.push({ kind: 'continuation', text });
        continue;
      }
      indent = lineIndent;
      inOption = false;
      const header = /^\[(.+)\]/s.exec(text);
      const option = /^(.*?)\s*[=:]\s*(.*)$/s.exec(text);
      if (header) {
        inSection = true;
        out.push({ kind: 'section', header: header[1]! });
      } else if (!inSection) out.push({ kind: 'invalid', reason: 'a setting before the first [section]' });
      else if (!option || option[1] === '') out.push({ kind: 'invalid', reason: 'neither "key = value" nor a [section]' });
      else {
        out.push({ kind: 'option', key: option[1]!.toLowerCase(), value: option[2]! });
        inOption = true;
      }
    }
  }
  return out;
}

/**
 * The sections and their options, as configparser's `sections()` and
 * `items(section)` give them: multi-line values joined with `\n` (empty lines
 * kept inside, trailing ones dropped), and the `[DEFAULT]` section's options
 * in every other section that does not set them itself. A repeated section
 * or option makes configparser refuse the file, and so the reader.
 */
export function parseIni(text: string): { sections: IniSections } | { problem: string } {
  const defaults = new Map<string, string[]>();
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  let key: string | undefined;
  for (const [index, line] of scanIni(iniLines(text)).entries()) {
    if (line.kind === 'invalid') return { problem: `line ${index + 1}: ${line.reason}` };
    if (line.kind === 'section') {
      if (sections.has(line.header)) return { problem: `section "${line.header}" repeated (line ${index + 1})` };
      current = line.header === 'DEFAULT' ? defaults : new Map();
      if (line.header !== 'DEFAULT') sections.set(line.header, current);
      key = undefined;
    } else if (line.kind === 'option') {
      if (current!.has(line.key)) return { problem: `option "${line.key}" repeated (line ${index + 1})` };
      current!.set(line.key, [line.value]);
      key = line.key;
    } else if (line.kind === 'continuation') current!.get(key!)!.push(line.text);
    else if (line.kind === 'empty' && key !== undefined) current!.get(key)!.push('');
  }
  const joined = (options: Map<string, string[]>) => [...options].map(([name, parts]): [string, string] => [name, parts.join('\n').trimEnd()]);
  return { sections: new Map([...sections].map(([name, options]) => [name, new Map([...joined(defaults), ...joined(options)])])) };
}
