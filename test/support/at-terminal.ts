/**
 * Runs a shell command at a real terminal (script(1) gives it a pty, as when
 * a person types it), approving the first device code guard shows on it (as
 * `approve.login`, else the dev IdP's default user) — or, with
 * `approve.every`, each new one (kubectl runs a failed plugin again).
 */
import { spawn } from 'node:child_process';
// @ts-expect-error: plain ESM helper shared with the demo and the benchmark
import { approveDevice, findVerificationUrl } from '../../scripts/lib/approve.mjs';

export async function runAtTerminal(command: string, env: NodeJS.ProcessEnv, approve: { login?: string; every?: boolean } = {}): Promise<{ code: number | null; screen: string; approved: boolean; approvals: number }> {
  const child = spawn('script', ['-qefc', command, '/dev/null'], { env: { ...env, GUARD_BROWSER: 'none' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let screen = '';
  let searched = 0;
  const approvals: Array<Promise<unknown>> = [];
  child.stdout!.on('data', (chunk) => {
    screen += chunk;
    if (approvals.length > 0 && !approve.every) return;
    const url = findVerificationUrl(screen.slice(searched));
    if (!url) return;
    searched = screen.length;
    approvals.push(approveDevice(url, { login: approve.login }));
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  child.stdin!.end();
  await Promise.all(approvals);
  return { code, screen, approved: approvals.length > 0, approvals: approvals.length };
}
