/**
 * Runs a shell command at a real terminal (script(1) gives it a pty, as when
 * a person types it), approving the first device code guard shows on it.
 */
import { spawn } from 'node:child_process';
// @ts-expect-error: plain ESM helper shared with the demo and the benchmark
import { approveDevice, findVerificationUrl } from '../../scripts/lib/approve.mjs';

export async function runAtTerminal(command: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; screen: string; approved: boolean }> {
  const child = spawn('script', ['-qefc', command, '/dev/null'], { env: { ...env, GUARD_BROWSER: 'none' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let screen = '';
  let approval: Promise<unknown> | undefined;
  child.stdout!.on('data', (chunk) => {
    screen += chunk;
    const url = !approval && findVerificationUrl(screen);
    if (url) approval = approveDevice(url);
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  child.stdin!.end();
  await approval;
  return { code, screen, approved: approval !== undefined };
}
