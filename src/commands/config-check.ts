/** `guard config check [FILE]`: validates all layers (or one file), listing every problem with file:line:column. Exit 0 or 78. */
import { readFileSync } from 'node:fs';
import type { Deps } from '../deps.ts';
import { exitCodeForCode, GuardError } from '../errors.ts';
import { basename } from 'node:path';
import { formatIssue, PROJECT_FILE } from '../policy/load.ts';
import { mergeLayers } from '../policy/merge.ts';
import { parseLayer } from '../policy/parse-layer.ts';
import { kubeWarnings } from '../policy/kube-warnings.ts';
import { ruleWarnings } from '../policy/rule-warnings.ts';
import type { ConfigIssue } from '../policy/types.ts';
import { escapeControl, toJsonText } from '../util/text.ts';
import { loadLayers, type GlobalOptions } from './context.ts';

export async function configCheck(deps: Deps, file: string | undefined, options: GlobalOptions): Promise<number> {
  let issues: ConfigIssue[];
  let files: string[];
  let warnings: string[] = [];
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new GuardError('config', `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    // A project file is checked as one: it may not route authentication (SPEC §13).
    const parsed = parseLayer(text, file, basename(file) === PROJECT_FILE ? 'project' : 'user');
    issues = [...parsed.issues, ...(parsed.issues.length === 0 ? mergeLayers([parsed.layer]).issues : [])];
    files = [file];
    warnings = [...ruleWarnings(parsed.layer.rules), ...kubeWarnings(parsed.layer.rules, parsed.layer.profiles)];
  } else {
    // With the cached central policy (no network): local rules may use tiers only it defines.
    const { loaded } = await loadLayers(deps, options, { network: false });
    issues = loaded.issues;
    files = loaded.files;
    warnings = [...loaded.warnings, ...ruleWarnings(loaded.config.rules), ...kubeWarnings(loaded.config.rules, loaded.config.profiles.values())];
  }
  if (options.json) {
    deps.io.out(`${toJsonText({ valid: issues.length === 0, files, issues, warnings })}\n`);
  } else {
    // File names, keys and values are the files' text, not guard's (SPEC §13).
    for (const warning of warnings) deps.io.err(`guard: ${escapeControl(warning)}\n`);
    for (const issue of issues) deps.io.err(`${escapeControl(formatIssue(issue))}\n`);
    deps.io.err(issues.length === 0 ? `guard: configuration is valid (${escapeControl(files.join(', '))})\n` : `guard: ${issues.length} problem${issues.length === 1 ? '' : 's'} found\n`);
  }
  return issues.length === 0 ? 0 : exitCodeForCode('config');
}
