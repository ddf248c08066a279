/**
 * `guard doctor [--json]`: checks the whole set-up, one line per check with
 * a mark and the fix (SPEC §12). The configuration is read first (every
 * other check needs its profiles and aliases); then the IdPs and clock, the
 * keychain, the state folder, the shell functions, the kubeconfig, the
 * git helper, the AWS profiles and the audit sinks are checked in parallel, each within a timeout. Exit 0 when
 * nothing failed, else the code of the first failure's class (69, 77, 78).
 */
import type { Deps } from '../deps.ts';
import { tilde, toJsonText } from '../util/text.ts';
import { exitCodeForCode } from '../errors.ts';
import { httpTimeout } from '../util/http-timeout.ts';
import { createStyle, colorEnabled } from '../ui/style.ts';
import { statusMark } from '../ui/marks.ts';
import { doctorExitCode, runChecks, type Check, type CheckResult } from '../doctor/check.ts';
import { checkCentralPolicy, checkLayers, loadProblem, type LayersRead } from '../doctor/check-config.ts';
import { checkIdp } from '../doctor/check-idp.ts';
import { checkKeychain } from '../doctor/check-keychain.ts';
import { checkStateDir } from '../doctor/check-state.ts';
import { checkShell } from '../doctor/check-shell.ts';
import { checkKubeconfig } from '../doctor/check-integrations.ts';
import { checkGitHelper } from '../doctor/check-git.ts';
import { checkAws } from '../doctor/check-aws.ts';
import { checkAuditSinks } from '../doctor/check-audit.ts';
import { guardWord } from '../setup/shell-rc.ts';
import { loadLayers, type GlobalOptions } from './context.ts';

/** Each check's budget; the IdP request gets a little less, so it reports its own timeout. */
const CHECK_TIMEOUT_MS = 6_000;

export interface DoctorOptions extends GlobalOptions {
  /** The launcher that runs this guard (util/runtime.ts selfPath()): what credential_process lines should run. */
  self?: string;
}

export async function doctor(deps: Deps, options: DoctorOptions): Promise<number> {
  // How the fixes it suggests call guard: this guard's own path.
  const guard = guardWord(options.self);
  const home = deps.env.HOME ?? '';
  const show = (path: string) => tilde(path, home);
  // Before anything else touches the state folder (loading the config may tighten its mode): report it as found.
  const state = checkStateDir(deps.paths.stateDir, show);
  const read: LayersRead = {};
  try {
    Object.assign(read, await loadLayers(deps, options, { network: false }));
  } catch (error) {
    read.error = loadProblem(error);
  }
  const config = read.loaded?.config;
  const profiles = config ? [...config.profiles.values()] : [];
  const skipped = (id: string, what: string): CheckResult[] => [{ id, status: 'info', summary: `${what}: not checked (no usable configuration)` }];

  const checks: Check[] = [
    { id: 'config', class: 'config', run: async () => [...checkLayers(deps, read, show), ...checkCentralPolicy(read, deps.now())] },
    {
      id: 'idp',
      class: 'idp',
      run: async () => (profiles.length > 0 ? checkIdp(profiles, deps.env, Math.min(httpTimeout(deps.env), CHECK_TIMEOUT_MS / 1000 - 1), deps.now) : skipped('idp', 'identity provider')),
    },
    { id: 'keychain', class: 'keychain', run: async () => (profiles.length > 0 ? checkKeychain(deps, profiles) : skipped('keychain', 'keychain')) },
    { id: 'state', class: 'auth', run: async () => state },
    { id: 'shell', class: 'config', run: async () => (config ? checkShell(config.aliases, deps.env, home, CHECK_TIMEOUT_MS - 1_000, show, guard) : skipped('shell', 'shell functions')) },
    { id: 'kubeconfig', class: 'config', run: async () => checkKubeconfig(deps.env, home, show) },
    { id: 'git', class: 'config', run: async () => checkGitHelper(deps.env, deps.cwd, CHECK_TIMEOUT_MS - 1_000, profiles.map((profile) => profile.issuer), show, guard) },
    { id: 'aws', class: 'config', run: async () => checkAws(deps.env, options.self, show) },
    { id: 'audit', class: 'config', run: async () => checkAuditSinks(deps.paths.stateDir, config?.audit ?? {}, deps.now(), 2_000) },
  ];
  const results = await runChecks(checks, CHECK_TIMEOUT_MS);
  const code = doctorExitCode(results);
  if (options.json) {
    const checksOut = results.map(({ id, status, summary, fix, class: kind }) => ({ id, status, summary, ...(fix ? { fix } : {}), ...(status === 'fail' ? { exit_code: exitCodeForCode(kind ?? 'config') } : {}) }));
    deps.io.out(`${toJsonText({ ok: code === 0, exit_code: code, checks: checksOut })}\n`);
    return code;
  }
  const s = createStyle(colorEnabled(deps.env, deps.io.stdoutIsTTY));
  const lines = results.map((result) => `${statusMark(result.status, s)} ${result.summary}${result.fix && result.status !== 'pass' ? s.dim(` — ${result.status === 'info' ? '' : 'fix: '}${result.fix}`) : ''}`);
  const failed = results.filter((result) => result.status === 'fail').length;
  const warned = results.filter((result) => result.status === 'warn').length;
  const verdict = failed > 0 ? `${s.red(`${failed} check${failed === 1 ? '' : 's'} failed`)} (exit ${code})` : warned > 0 ? s.yellow(`no check failed; ${warned} warning${warned === 1 ? '' : 's'} above`) : s.green('all checks passed');
  lines.push('', verdict);
  deps.io.out(`${lines.join('\n')}\n`);
  if (code !== 0 && !deps.quiet) {
    // The one-line summary every failing guard command gives on stderr (SPEC §5).
    const first = results.find((result) => result.status === 'fail')!;
    deps.io.err(`guard: doctor found ${failed} problem${failed === 1 ? '' : 's'}; first: ${first.summary}\n`);
  }
  return code;
}
