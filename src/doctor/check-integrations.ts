/**
 * Doctor: the kubeconfig integration of SPEC §9, which is optional. A
 * kubeconfig user that points at guard must be able to reach it (else a
 * failure); contexts that do not use guard are information, with the
 * command that would guard them. (git's helpers: check-git.ts.)
 */
import { escapeControl } from '../util/text.ts';
import { readKubeconfig, usesGuard } from '../setup/kubeconfig-read.ts';
import { runnable } from './runnable.ts';
import { shellLine } from '../util/shell-quote.ts';
import { EXEC_API_VERSIONS } from '../integrations/kube/exec-info.ts';
import type { CheckResult } from './check.ts';

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
    if (!runnable(exec.command, env)) results.push({ id: 'kubeconfig', status: 'fail', class: 'config', summary: `kubeconfig context ${name}: user ${escapeControl(user!.name)} runs ${escapeControl(exec.command)}, which cannot be started`, fix: shellLine(['guard', 'kubeconfig', '--context', context.name]) });
    else if (exec.apiVersion && !(EXEC_API_VERSIONS as readonly string[]).includes(exec.apiVersion)) results.push({ id: 'kubeconfig', status: 'fail', class: 'config', summary: `kubeconfig context ${name}: exec apiVersion ${escapeControl(exec.apiVersion)} is not one guard answers`, fix: shellLine(['guard', 'kubeconfig', '--context', context.name]) });
    else guarded.push(context.name);
  }
  if (guarded.length > 0) results.push({ id: 'kubeconfig', status: 'pass', summary: `kubeconfig: ${guarded.map(escapeControl).join(', ')} get tokens from guard kube-credential` });
  if (unguarded.length > 0) {
    results.push({ id: 'kubeconfig', status: 'info', summary: `kubeconfig: ${unguarded.map(escapeControl).join(', ')} ${unguarded.length === 1 ? 'does' : 'do'} not use guard`, fix: `to guard one: ${shellLine(['guard', 'kubeconfig', '--context', unguarded[0]!])}` });
  }
  return results;
}
