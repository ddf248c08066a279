/** `guard trust [FILE] [--revoke]`: trust (or stop trusting) a project `.guard.yaml`, like `direnv allow`. */
import { resolve } from 'node:path';
import type { Deps } from '../deps.ts';
import { GuardError } from '../errors.ts';
import { findProjectFile, formatIssue } from '../policy/load.ts';
import { parseLayer } from '../policy/parse-layer.ts';
import { recordTrust, revokeTrust } from '../policy/trust.ts';
import { describeLayer } from '../policy/describe-layer.ts';
import { escapeControl } from '../util/text.ts';
import { ensureStateDir } from '../session/state.ts';
import { readFileSync } from 'node:fs';
import { mergeLayers } from '../policy/merge.ts';
import type { ConfigIssue, Layer } from '../policy/types.ts';
import { loadLayers } from './context.ts';

/**
 * A named command of the file that clashes with one of the other layers
 * (`deploy prod` against the user's `deploy`, SPEC §13), found before the
 * file is trusted rather than on every command after. No configuration to
 * compare with (none yet, or one that does not load) means no clash.
 */
async function commandClash(deps: Deps, target: string, layer: Layer): Promise<ConfigIssue | undefined> {
  try {
    const { loaded } = await loadLayers(deps, {}, { network: false });
    const others = loaded.config.layers.filter((other) => other.file !== target);
    return mergeLayers([...others, layer]).issues.find((issue) => issue.file === target && issue.message.startsWith('command "'));
  } catch {
    return undefined;
  }
}

export async function trust(deps: Deps, file: string | undefined, options: { revoke?: boolean }): Promise<number> {
  const target = file ? resolve(deps.cwd, file) : findProjectFile(deps.cwd);
  if (!target) throw new GuardError('usage', 'no .guard.yaml found in this folder or above; pass the file: guard trust FILE');
  ensureStateDir(deps.paths.stateDir);
  if (options.revoke) {
    const removed = revokeTrust(deps.paths.stateDir, target);
    deps.io.err(`guard: ${removed ? 'no longer trusted' : 'was not trusted'}: ${escapeControl(target)}\n`);
    return 0;
  }
  let text: string;
  try {
    text = readFileSync(target, 'utf8');
  } catch (error) {
    throw new GuardError('config', `cannot read ${escapeControl(target)} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const { layer, issues } = parseLayer(text, target, 'project');
  if (issues.length > 0) throw new GuardError('config', `not trusted, the file is invalid: ${formatIssue(issues[0]!)}`);
  const clash = await commandClash(deps, target, layer);
  if (clash) throw new GuardError('config', `not trusted: ${formatIssue(clash)}`);
  // Say what the file will do before it may do it (SPEC §13).
  deps.io.err(`guard: ${describeLayer(layer).join('\n')}\n`);
  const path = recordTrust(deps.paths.stateDir, target, text);
  deps.io.err(`guard: trusted ${escapeControl(path)} (any edit will need guard trust again)\n`);
  return 0;
}
