import { expect, it } from 'vitest';
import { escapeControl, toJsonText } from '../../src/util/text.ts';

it.each([
  ['\u001b[2J', '\\x1b[2J'],
  ['bell\u0007', 'bell\\x07'],
  ['del\u007f', 'del\\x7f'],
  ['csi\u009b31m', 'csi\\x9b31m'],
  ['\u202eevil\u202c', '\\u{202e}evil\\u{202c}'],
  ['\u2066iso\u2069', '\\u{2066}iso\\u{2069}'],
  ['\u200e\u200f\u061c', '\\u{200e}\\u{200f}\\u{61c}'],
  ['plain — ünïcode ✓', 'plain — ünïcode ✓'],
])('escapes %j (SPEC §13)', (text, escaped) => {
  expect(escapeControl(text)).toBe(escaped);
  expect(escapeControl(escapeControl(text))).toBe(escaped); // escaping twice changes nothing
});

it('--json output carries no raw DEL, C1 or bidi control, and parses to the same data', () => {
  const value = { subject: 'a\u009b31m\u202eb\u007f', rules: ['\u2066x'] };
  const text = toJsonText(value);
  expect(text).not.toMatch(/[\u007f-\u009f\u202e\u2066]/);
  expect(JSON.parse(text)).toEqual(value);
});
