/** Text helpers for what guard prints or logs. */

/** Escapes control characters so a logged or printed argv cannot forge lines or terminal sequences. */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
