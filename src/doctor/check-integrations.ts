/**
 * Doctor: the credential integrations of SPEC §9, which are optional. A
 * kubeconfig user or git helper that points at guard must be able to reach
 * it (else a failure); contexts and remotes that do not use guard are
 * information, with the command that would guard them.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { isAbsolute } from 'node:path';
import { escapeControl } from '../util/text.ts';
import { readKubeconfig, usesGuard } from '../setup/kubeconfig-read.ts';
import { findOnPath } from '../setup/path-lookup.ts';
import { shellWord } from '../setup/shell-rc.ts';
import { EXEC_API_VERSIONS } from '../integrations/kube/exec-info.ts';
import type { CheckResult } from './check.ts';

/** Can this command (absolute, or looked up on PATH) be started? */
function runnable(command: string, env: NodeJS.ProcessEnv): boolean {
  if (!isAbsolute(command)) return findOnPath(command, env) !== undefined;
  try {
    accessSync(command, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function checkKubeconfig(env: NodeJS.ProcessEnv, home: string, show: (path: string) => string): CheckResult[] {
  const kube = readKubeconfig(env, home);
  const results: CheckResult[] = kube.problems.map(({ file, problem }) => ({ id: 'kubeconfig', status: 'fail' as const, class: 'config' as const, summary: `kubeconfig ${escapeControl(show(file))} ${problem}`, fix: 'fix or remove the file (kubectl cannot use it either)' }));
  if (kube.files.length === 0 && results.length === 0) return [{ id: 'kubeconfig', status: 'info', summary: 'kubeconfig: none found ($KUBECONFIG, ~/.kube/config); nothing to check' }];
  const guarded: string[] = [];
  const unguarded: string[] = [];
  for (const context of kube.contexts) {
    const user = kube.users.find((u) => u.name === context.user);
    if (!usesGuard(user)) {
      unguarded.push(context.name);
      continue;
    }
    const exec = user!.exec!;
    const name = escapeControl(context.name);
    if (!runnable(exec.command, env)) results.push({ id: 'kubeconfig', status: 'fail', class: 'config', summary: `kubeconfig context ${name}: user ${escapeControl(user!.name)} runs ${escapeControl(exec.command)}, which cannot be started`, fix: `guard kubeconfig --context ${shellWord(name)}` });
    else if (exec.apiVersion && !(EXEC_API_VERSIONS as readonly string[]).includes(exec.apiVersion)) results.push({ id: 'kubeconfig', status: 'fail', class: 'config', summary: `kubeconfig context ${name}: exec apiVersion ${escapeControl(exec.apiVersion)} is not one guard answers`, fix: `guard kubeconfig --context ${shellWord(name)}` });
    else guarded.push(context.name);
  }
  if (guarded.length > 0) results.push({ id: 'kubeconfig', status: 'pass', summary: `kubeconfig: ${guarded.map(escapeControl).join(', ')} get tokens from guard kube-credential` });
  if (unguarded.length > 0) {
    results.push({ id: 'kubeconfig', status: 'info', summary: `kubeconfig: ${unguarded.map(escapeControl).join(', ')} ${unguarded.length === 1 ? 'does' : 'do'} not use guard`, fix: `to guard one: guard kubeconfig --context ${shellWord(escapeControl(unguarded[0]!))}` });
  }
  return results;
}

export async function checkGitHelper(env: NodeJS.ProcessEnv, cwd: string, timeoutMs: number, guard = 'guard'): Promise<CheckResult[]> {
  const helper = shellWord(`!${guard} git-credential`);
  const git = findOnPath('git', env);
  if (!git) return [{ id: 'git', status: 'info', summary: 'git credential helper: git is not on PATH; nothing to check' }];
  const output = await new Promise<string>((resolve) => {
    execFile(git, ['config', '--get-regexp', '^credential\\..*helper$'], { env, cwd, timeout: timeoutMs, encoding: 'utf8' }, (_error, stdout) => resolve(stdout ?? ''));
  });
  const helpers = output
    .split('\n')
    .map((line) => ({ key: line.split(' ')[0]!, value: line.split(' ').slice(1).join(' ') }))
    .filter(({ value }) => /(?:^|[\s!/])guard\s+git-credential\b/.test(value));
  if (helpers.length === 0) {
    return [{ id: 'git', status: 'info', summary: 'git credential helper: none uses guard', fix: `to guard a host: git config --global credential.https://git.example.com.helper ${helper}` }];
  }
  const results: CheckResult[] = [];
  for (const { key, value } of helpers) {
    // `!CMD git-credential`: a shell snippet whose first word is the program git will run.
    const program = value.replace(/^!/, '').trim().split(/\s+/)[0]!;
    if (!runnable(program, env)) {
      results.push({ id: 'git', status: 'fail', class: 'config', summary: `git credential helper ${escapeControl(key)}: ${escapeControl(program)} cannot be started`, fix: `git config --global ${shellWord(escapeControl(key))} ${helper}` });
    } else if (key.toLowerCase() === 'credential.helper') {
      // Not scoped to a URL: git asks it for every https host (a submodule, a redirect, a clone of anything), and gets the access token.
      results.push({ id: 'git', status: 'warn', summary: 'git credential helper credential.helper: guard git-credential answers every host git asks about, and hands each the access token', fix: `scope it: git config --global --unset credential.helper; git config --global credential.https://git.example.com.helper ${helper}` });
    } else results.push({ id: 'git', status: 'pass', summary: `git credential helper ${escapeControl(key)}: guard git-credential` });
  }
  return results;
}
