/**
 * The device-flow screen on stderr: the prefilled verification URL and the
 * user code, each on a line of its own (SPEC §3), the bare URL for typing
 * the code by hand, a QR code when the terminal is wide enough, and a
 * spinner with a countdown while polling.
 */
import type { Deps } from '../deps.ts';
import { formatDuration } from '../util/duration.ts';
import { escapeControl } from '../audit/event.ts';
import { createStyle } from './style.ts';
import { openBrowserIfSuitable } from './browser.ts';

export interface DeviceCodeInfo {
  profile: string;
  reason?: string;
  verificationUri: string;
  verificationUriComplete?: string;
  userCode: string;
  expiresIn: number;
  noBrowser?: boolean;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export async function showDeviceCode(deps: Deps, info: DeviceCodeInfo): Promise<{ stop(): void }> {
  const { io } = deps;
  const s = createStyle(io.color);
  // Everything shown comes from the IdP: escape control characters.
  const url = escapeControl(info.verificationUriComplete ?? info.verificationUri);
  const bare = escapeControl(info.verificationUri);
  const code = escapeControl(info.userCode);
  const lines = [
    `guard: sign-in needed for profile "${info.profile}"${info.reason ? ` (${info.reason})` : ''}`,
    'Open this URL in a browser and approve the sign-in:',
    '',
    `    ${s.bold(s.cyan(url))}`,
    '',
    'Check that the page shows this code:',
    '',
    `    ${s.bold(code)}`,
    '',
  ];
  if (info.verificationUriComplete && info.verificationUriComplete !== info.verificationUri) lines.push(s.dim(`(or go to ${bare} and type the code)`));
  if (io.stderrIsTTY && io.columns >= 60) {
    const { renderQr } = await import('./qr.ts');
    const qr = renderQr(info.verificationUriComplete ?? info.verificationUri, io.columns);
    if (qr) lines.push('', qr);
  }
  io.err(`${lines.join('\n')}\n`);
  if (io.stderrIsTTY) io.err(`\u001b]52;c;${Buffer.from(info.userCode).toString('base64')}\u0007`); // OSC 52: copy the code
  if (!info.noBrowser) openBrowserIfSuitable(deps, info.verificationUriComplete ?? info.verificationUri);

  const deadline = deps.now() + info.expiresIn * 1000;
  if (!io.stderrIsTTY) {
    io.err(`Waiting for approval (the code expires in ${formatDuration(info.expiresIn * 1000)})…\n`);
    return { stop() {} };
  }
  let frame = 0;
  const draw = () => {
    const left = Math.max(0, deadline - deps.now());
    io.err(`\r\u001b[2K${s.cyan(SPINNER[frame++ % SPINNER.length]!)} Waiting for approval… ${formatDuration(left)} left ${s.dim('(Ctrl-C to cancel)')}`);
  };
  draw();
  const timer = setInterval(draw, 100);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      io.err('\r\u001b[2K');
    },
  };
}
