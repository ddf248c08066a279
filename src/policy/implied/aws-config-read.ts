/**
 * The aws CLI's profiles, read-only (guard aws-config edits the same files
 * elsewhere), as botocore builds them from the INI sections.
 */
import type { IniSections } from './ini-read.ts';

/**
 * The profiles of a config file (`[default]`, `[profile NAME]`; botocore
 * takes any section starting with "profile" that splits, shell-like, into
 * two words) or of a credentials file (every section is a profile).
 */
export function awsProfiles(sections: IniSections, credentials: boolean): Map<string, Map<string, string>> {
  const profiles = new Map<string, Map<string, string>>();
  for (const [name, values] of sections) {
    if (credentials || name === 'default') profiles.set(name, values);
    else if (name.startsWith('profile')) {
      const parts = name.match(/"[^"]*"|'[^']*'|\S+/g)?.map((part) => part.replace(/^["']|["']$/g, '')) ?? [];
      if (parts.length === 2) profiles.set(parts[1]!, values);
    }
  }
  return profiles;
}
