/**
 * Finds and reads the configuration layers (SPEC §2): system policy, user
 * config, every trusted project `.guard.yaml` from the root down to the
 * working directory, and merges them.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GuardError } from '../errors.ts';
import { ETC_POLICY, type Paths } from '../deps.ts';
import { mergeLayers } from './merge.ts';
import { parseLayerCached } from './layer-cache.ts';
import { isTrusted } from './trust.ts';
import type { Config, ConfigIssue, Layer, LayerKind } from './types.ts';
import { shellLine } from '../util/shell-quote.ts';

export const PROJECT_FILE = '.guard.yaml';

export interface LoadedConfig {
  config: Config;
  issues: ConfigIssue[];
  /** The nearest project file found but not trusted: parsed, never applied. */
  untrusted?: Layer;
  warnings: string[];
  /** Files that were read, in layer order. */
  files: string[];
}

export interface LoadOptions {
  paths: Paths;
  cwd: string;
  /** The user passed --config or GUARD_CONFIG: a missing file is an error. */
  explicitUserConfig: boolean;
  /** Central policy layer (issue 9), already verified, if any. */
  extraSystem?: { text: string; file: string };
}

function readIfExists(file: string, required: boolean): string | undefined {
  // Most machines have no system policy: say so without an exception (a process's first costs ~0.2 ms).
  if (!required && statSync(file, { throwIfNoEntry: false }) === undefined) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return undefined;
    const next = code === 'ENOENT' ? 'create it or fix the path' : code === 'EACCES' || code === 'EPERM' ? 'fix its permissions' : 'point guard at a readable YAML file';
    throw new GuardError('config', `cannot read the configuration file ${file} (${code ?? 'error'}); ${next}`);
  }
}

export function findProjectFile(cwd: string): string | undefined {
  return findProjectFiles(cwd)[0];
}

/** Every `.guard.yaml` from the working directory up to the root, nearest first. */
export function findProjectFiles(cwd: string): string[] {
  const found: string[] = [];
  for (let dir = cwd; ; dir = dirname(dir)) {
    const candidate = join(dir, PROJECT_FILE);
    if (statSync(candidate, { throwIfNoEntry: false })?.isFile()) found.push(candidate);
    if (dirname(dir) === dir) return found;
  }
}

export async function loadConfig(options: LoadOptions): Promise<LoadedConfig> {
  const layers: Layer[] = [];
  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];
  const files: string[] = [];
  const parse = (text: string, file: string, kind: LayerKind) => parseLayerCached(options.paths.stateDir, text, file, kind);
  const add = async (text: string, file: string, kind: LayerKind) => {
    const parsed = await parse(text, file, kind);
    layers.push(parsed.layer);
    issues.push(...parsed.issues);
    files.push(file);
  };
  // /etc/guard/policy.yaml first (its policy_url wins); GUARD_SYSTEM_POLICY only adds a layer, never hides it (SPEC §13).
  for (const file of new Set([options.paths.etcPolicy ?? ETC_POLICY, options.paths.systemPolicy])) {
    const system = readIfExists(file, false);
    if (system !== undefined) await add(system, file, 'system');
  }
  if (options.extraSystem) await add(options.extraSystem.text, options.extraSystem.file, 'system');
  const user = readIfExists(options.paths.userConfig, options.explicitUserConfig);
  if (user !== undefined) await add(user, options.paths.userConfig, 'user');

  // Every project file from the root down applies once trusted: an untrusted nearer one hides nothing (SPEC §13).
  let untrusted: Layer | undefined;
  for (const projectFile of findProjectFiles(options.cwd).reverse()) {
    if (projectFile === options.paths.userConfig) continue;
    const text = readIfExists(projectFile, true)!;
    if (isTrusted(options.paths.stateDir, projectFile, text)) await add(text, projectFile, 'project');
    else {
      untrusted = (await parse(text, projectFile, 'project')).layer;
      warnings.push(`ignoring ${projectFile}: it is not trusted (review it, then run: ${shellLine(['guard', 'trust', projectFile])})`);
    }
  }
  if (layers.length === 0) {
    throw new GuardError('config', `no configuration found: create ${options.paths.userConfig} (see docs/configuration.md) or pass --config FILE`);
  }
  const merged = mergeLayers(layers);
  const all = [...issues, ...merged.issues].sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file) || a.line - b.line || a.col - b.col);
  return { config: merged.config, issues: all, untrusted, warnings, files };
}

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.file}:${issue.line}:${issue.col}: ${issue.message}`;
}

/** Throws the first problem as a one-line config error (exit 78). */
export function assertValid(loaded: LoadedConfig): Config {
  if (loaded.issues.length === 0) return loaded.config;
  const more = loaded.issues.length > 1 ? ` (and ${loaded.issues.length - 1} more: run guard config check)` : '';
  throw new GuardError('config', `invalid configuration: ${formatIssue(loaded.issues[0]!)}${more}`);
}
