/**
 * `guard` with no command: a short overview on stdout — the current
 * profile's session (read from the state file only: no network, no keychain)
 * and the commands to reach for. It never fails: without a config it says
 * how to start, with a broken one it says how to find the problem.
 */
import type { Deps } from '../deps.ts';
import { colorEnabled } from '../ui/style.ts';
import { isGuardError } from '../errors.ts';
import { escapeControl, tilde } from '../util/text.ts';
import { loadConfig } from '../policy/load.ts';
import { selectProfile } from '../policy/resolve.ts';
import type { Config, Profile } from '../policy/types.ts';
import { readState } from '../session/state.ts';
import { formatDuration } from '../util/duration.ts';
import { createStyle, type Style } from '../ui/style.ts';
import { VERSION } from '../version.ts';
import { deathOf, type GlobalOptions } from './context.ts';
import { madeFor } from '../session/current.ts';
import { loginHint } from '../session/ensure.ts';
import { userLabel } from '../ui/user-label.ts';

const COMMANDS: Array<[string, string]> = [
  ['guard login', 'sign in (device flow)'],
  ['guard status', 'session age, idle time, what each tier allows now'],
  ['guard run -- CMD [ARGS…]', 'run CMD once the session is good enough for it'],
  ['guard explain -- CMD', 'which rules match CMD and what would happen'],
  ['guard shell-init bash|zsh|fish', 'route kubectl, psql… through guard'],
  ['guard doctor', 'check the set-up: config, IdP, clock, keychain, shell, kubeconfig'],
  ['guard --help', 'every command and option'],
];

export async function overview(deps: Deps, options: GlobalOptions): Promise<number> {
  const s = createStyle(colorEnabled(deps.env, deps.io.stdoutIsTTY));
  const lines = [`${s.bold('guard')} ${VERSION} — session timeouts in front of privileged commands`, ''];
  const home = deps.env.HOME;

  let config: Config | undefined;
  try {
    const loaded = await loadConfig({ paths: deps.paths, cwd: deps.cwd, explicitUserConfig: Boolean(options.config || deps.env.GUARD_CONFIG) });
    config = loaded.config;
    if (loaded.issues.length > 0) lines.push(`${s.yellow('!')} the configuration has ${loaded.issues.length} problem${loaded.issues.length === 1 ? '' : 's'}; see: guard config check`);
    if (loaded.untrusted) lines.push(`${s.yellow('!')} ${tilde(loaded.untrusted.file, home)} is not trusted yet; review it, then: guard trust`);
  } catch (error) {
    if (!isGuardError(error)) throw error;
    lines.push(
      `No usable configuration yet (${tilde(deps.paths.userConfig, home)}). To start:`,
      '  guard init      checks your identity provider, writes a commented config, and signs you in',
      '  guard doctor    then checks the whole set-up, with the fix for anything missing',
      '',
    );
  }
  if (config) {
    lines.push(sessionLine(deps, config, options, s));
    const named = [...config.commands.keys()];
    if (named.length > 0) lines.push(`  your commands: ${named.map(escapeControl).join(', ')}  ${s.dim('(guard NAME [ARGS…])')}`);
    if (config.aliases.length > 0) lines.push(`  shell aliases: ${config.aliases.map(escapeControl).join(', ')}  ${s.dim('(guard shell-init --help)')}`);
    lines.push('');
  }
  const width = Math.max(...COMMANDS.map(([command]) => command.length)) + 2;
  lines.push('Commands:', ...COMMANDS.map(([command, what]) => `  ${command.padEnd(width)}${s.dim(what)}`));
  deps.io.out(`${lines.join('\n')}\n`);
  return 0;
}

/** One line about the current profile's session, from the state file alone. */
function sessionLine(deps: Deps, config: Config, options: GlobalOptions, s: Style): string {
  let profile: Profile;
  try {
    profile = selectProfile(config, options.profile ?? deps.env.GUARD_PROFILE);
  } catch (error) {
    return `${s.yellow('!')} ${isGuardError(error) ? error.message : String(error)}`;
  }
  const where = `profile ${escapeControl(profile.name)} (${escapeControl(profile.issuer)})`;
  const { state, note } = readState(deps.paths.stateDir, profile.name);
  if (!state || !madeFor(state, profile)) {
    return `${s.red('○')} not signed in — ${where}${note ? ' (the session file is unusable)' : ''}; ${loginHint(profile)}`;
  }
  const now = deps.now();
  const dead = deathOf(config, state, now);
  if (dead) return `${s.red('○')} session ended (${dead === 'idle' ? 'idle too long' : 'too old'}) — ${where}; the next guarded command signs in again`;
  return `${s.green('●')} signed in as ${userLabel(state, s)} — ${where}, session age ${formatDuration(now - state.login_time)}, idle ${formatDuration(now - state.last_activity)}`;
}
