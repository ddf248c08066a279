/**
 * The one escape for text guard did not write (SPEC §13 "Nothing from
 * outside reaches the terminal raw"): C0, DEL and C1 control characters and
 * the bidirectional controls that reorder what a reader sees (U+061C,
 * U+200E/200F, U+202A–202E, U+2066–2069) become visible `\xNN` / `\u{NNNN}`.
 * Used by reportError, warn and every formatter, and for argv in the audit log.
 * @see https://www.unicode.org/reports/tr9/#Explicit_Directional_Formatting_Characters
 * @see https://nvd.nist.gov/vuln/detail/CVE-2021-42574 (Trojan Source)
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Does the text hold a character escapeControl would escape? */
export function hasControl(text: string): boolean {
  UNSAFE.lastIndex = 0;
  return UNSAFE.test(text);
}

/** Replaces each control or bidi character (the set escapeControl escapes) with what `replace` makes of it. */
export function replaceControl(text: string, replace: (c: string) => string): string {
  return text.replace(UNSAFE, replace);
}

/** Escapes control and bidi characters so printed or logged text cannot forge lines or terminal sequences. */
export function escapeControl(text: string): string {
  return replaceControl(text, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

// eslint-disable-next-line no-control-regex
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON for stdout (`--json`): JSON.stringify escapes C0 but leaves DEL, C1
 * and bidi controls raw; they become `\uXXXX` here, the same data for a
 * parser and nothing a terminal acts on.
 */
export function toJsonText(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A path as a person reads it: `~/…` under the home folder. */
export function tilde(path: string, home: string | undefined): string {
  return home && path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}
