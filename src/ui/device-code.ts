/**
 * The device-flow screen on stderr (SPEC §3): the prefilled verification
 * URL and the user code, each on a line of its own; the bare URL for typing
 * the code by hand; on a terminal, a QR code of the prefilled URL when it
 * fits (GUARD_QR=0 turns it off), the code copied with OSC 52, and a
 * spinner with a live countdown to expires_in. Opens a browser only where
 * browser.ts says it is wanted.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.3
 */
import type { Deps } from '../deps.ts';
import { formatDuration } from '../util/duration.ts';
import { escapeControl } from '../util/text.ts';
import { createStyle } from './style.ts';
import { chooseBrowser, detectContainer, launchBrowser } from './browser.ts';

export interface DeviceCodeInfo {
  profile: string;
  reason?: string;
  /** A step-up of a live session: the first line says so, and why. */
  stepUp?: boolean;
  verificationUri: string;
  verificationUriComplete?: string;
  userCode: string;
  expiresIn: number;
  noBrowser?: boolean;
}

export interface DeviceCodeDisplay {
  /** Clears the spinner line; safe to call more than once. */
  stop(): void;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR_LINE = '\r\u001b[2K';

export async function showDeviceCode(deps: Deps, info: DeviceCodeInfo): Promise<DeviceCodeDisplay> {
  const { io } = deps;
  const deadline = deps.now() + info.expiresIn * 1000;
  const s = createStyle(io.color);
  const target = info.verificationUriComplete ?? info.verificationUri;
  // Everything shown comes from the IdP: escape control characters.
  const url = escapeControl(target);
  const code = escapeControl(info.userCode);
  const profile = escapeControl(info.profile);
  const lines = [
    info.stepUp && info.reason ? `guard: step-up for profile "${profile}": ${escapeControl(info.reason)}` : `guard: sign-in needed for profile "${profile}"${info.reason ? ` (${escapeControl(info.reason)})` : ''}`,
  ];
  let qr: string | undefined;
  if (io.stderrIsTTY && qrWanted(deps.env)) qr = (await import('./qr.ts')).renderQr(target, io.columns, io.color);
  if (qr) lines.push(qr);
  lines.push(
    qr ? 'Open this URL in a browser (or scan the code above) and approve the sign-in:' : 'Open this URL in a browser and approve the sign-in:',
    '',
    // The URL and the code each stand alone on their line (SPEC §3): easy to copy, easy to parse.
    s.bold(s.cyan(url)),
    '',
    'Check that the page shows this code:',
    '',
    s.bold(code),
    '',
  );
  if (info.verificationUriComplete && info.verificationUriComplete !== info.verificationUri) {
    lines.push(s.dim(`(or go to ${escapeControl(info.verificationUri)} and type the code)`));
  }
  io.err(`${lines.join('\n')}\n`);
  // Only a plain user code goes to the clipboard: an IdP must not write what the user pastes next (SPEC §13).
  if (io.stderrIsTTY && !['dumb', 'linux'].includes(deps.env.TERM ?? '') && /^[A-Za-z0-9-]{1,64}$/.test(info.userCode)) {
    io.err(`\u001b]52;c;${Buffer.from(info.userCode).toString('base64')}\u0007`); // OSC 52: put the code on the clipboard
  }

  const choice = chooseBrowser(
    { env: deps.env, stdinIsTTY: io.stdinIsTTY, stderrIsTTY: io.stderrIsTTY, platform: process.platform, inContainer: detectContainer(deps.env), disabled: info.noBrowser },
    target,
  );
  if (choice.open && (await launchBrowser(choice))) io.err(s.dim(`Opened the sign-in page in your browser (${escapeControl(choice.program)}).\n`));
  else if (deps.verbose) io.err(`guard: not opening a browser: ${choice.open ? `${escapeControl(choice.program)} could not be started` : choice.reason}\n`);

  if (!io.stderrIsTTY) {
    io.err(`Waiting for approval (the code expires in ${formatDuration(info.expiresIn * 1000)})…\n`);
    return { stop() {} };
  }
  return startSpinner(deps, deadline);
}

/** GUARD_QR=0 (or off, false, no) turns the QR code off: a display preference, like NO_COLOR, for every command and shell function. */
export function qrWanted(env: NodeJS.ProcessEnv): boolean {
  return !/^(0|off|false|no)$/i.test(env.GUARD_QR?.trim() ?? '');
}

/**
 * The live line: spinner and countdown, redrawn in place. While it is on
 * screen it owns stderr's last line, so any other message (a `slow_down`
 * note in --verbose, a warning) first clears it and then gets a line of its
 * own; the next frame is drawn below.
 */
function startSpinner(deps: Deps, deadline: number): DeviceCodeDisplay {
  const { io } = deps;
  const s = createStyle(io.color);
  const write = io.err;
  let live = false;
  let frame = 0;
  io.err = (text) => {
    if (live) write(CLEAR_LINE);
    live = false;
    write(text);
  };
  const draw = () => {
    const left = formatDuration(Math.max(0, deadline - deps.now()));
    // A line that wraps cannot be redrawn in place: shorten it on narrow terminals.
    const fits = `x Waiting for approval… ${left} left (Ctrl-C to cancel)`.length < io.columns;
    const text = fits ? `Waiting for approval… ${left} left ${s.dim('(Ctrl-C to cancel)')}` : `${left} left`;
    write(`${CLEAR_LINE}${s.cyan(SPINNER[frame++ % SPINNER.length]!)} ${text}`);
    live = true;
  };
  draw();
  const timer = setInterval(draw, 100);
  timer.unref();
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      if (live) write(CLEAR_LINE);
      io.err = write;
    },
  };
}
