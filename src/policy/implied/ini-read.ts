/**
 * INI files as Python's ConfigParser reads them (the aws CLI's ~/.aws/config
 * and credentials, gcloud's configurations):
 * `[section]` headers, `key = value` or `key: value` with the key in lower
 * case and both sides trimmed, `#` and `;` comment lines, indented lines
 * continuing a value. A repeated section or key makes ConfigParser refuse the
 * file, and so the reader. Read-only (guard aws-config edits ~/.aws/config
 * byte for byte elsewhere). Pure.
 *
 * @see https://docs.python.org/3/library/configparser.html#supported-ini-file-structure
 */

export type IniSections = Map<string, Map<string, string>>;

export function parseIni(text: string): { sections: IniSections } | { problem: string } {
  const sections: IniSections = new Map();
  let current: Map<string, string> | undefined;
  let lastKey: string | undefined;
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    const value = line.trim();
    if (value === '' || value.startsWith('#') || value.startsWith(';')) continue;
    if (current && lastKey !== undefined && /^\s/.test(line)) {
      current.set(lastKey, `${current.get(lastKey)}\n${value}`);
      continue;
    }
    const header = /^\[(.+)\]/.exec(value);
    if (header) {
      if (sections.has(header[1]!)) return { problem: `section "${header[1]}" repeated (line ${index + 1})` };
      current = new Map();
      sections.set(header[1]!, current);
      lastKey = undefined;
      continue;
    }
    const option = /^(.*?)\s*[=:]\s*(.*)$/.exec(value);
    if (!current || !option) return { problem: `line ${index + 1} is no section, option or comment` };
    const key = option[1]!.toLowerCase();
    if (current.has(key)) return { problem: `option "${key}" repeated (line ${index + 1})` };
    current.set(key, option[2]!);
    lastKey = key;
  }
  return { sections };
}
