/**
 * The bridge from a verified policy payload (JSON, SPEC §8) to a system
 * layer: `iat` and `exp` are the document's envelope, not configuration, so
 * they are stripped before parseLayer sees it (parseLayer rejects unknown
 * keys, and stays unchanged).
 */

const ENVELOPE_KEYS = ['iat', 'exp'];
/** A central policy may not point guard at another policy: the source is the local system or user layer's choice. */
export const SOURCE_KEYS = ['policy_url', 'policy_jwks_url', 'policy_keys', 'policy_refresh', 'policy_max_stale'];

/** The payload as the text of a system layer (JSON is YAML). */
export function layerTextOf(payload: Record<string, unknown>): string {
  const layer = Object.fromEntries(Object.entries(payload).filter(([key]) => !ENVELOPE_KEYS.includes(key)));
  return `${JSON.stringify(layer, null, 2)}\n`;
}
