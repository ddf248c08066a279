/**
 * A QR code of the verification URL in half-block characters (two modules a
 * character cell), when it fits the terminal. A full block is a light
 * module, so the code reads right on a dark background; with colour on, the
 * colours are set explicitly (white on black), so it also reads right on a
 * light theme.
 */
import { renderUnicodeCompact } from 'uqr';

/** Two light modules around the code: scanners need a quiet zone, and most settle for two. */
const QUIET_ZONE = 2;

export function renderQr(text: string, columns: number, color = false): string | undefined {
  const lines = renderUnicodeCompact(text, { border: QUIET_ZONE }).split('\n');
  const width = Math.max(...lines.map((line) => [...line].length));
  if (width > columns) return undefined;
  return (color ? lines.map((line) => `\u001b[97;40m${line}\u001b[0m`) : lines).join('\n');
}
