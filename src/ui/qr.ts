/** A QR code of the verification URL, in half-block characters, when it fits the terminal. */
import { renderUnicodeCompact } from 'uqr';

export function renderQr(text: string, columns: number): string | undefined {
  const qr = renderUnicodeCompact(text, { border: 1 });
  const width = Math.max(...qr.split('\n').map((line) => [...line].length));
  return width <= columns ? qr : undefined;
}
