/**
 * The bridge from a verified policy payload (JSON, SPEC §8) to a system
 * layer: `iat` and `exp` are the document's envelope, not configuration, so
 * they are stripped before parseLayer sees it (parseLayer rejects unknown
 * keys, and stays unchanged).
 */
import { parseLayer } from '../parse-layer.ts';
import type { ConfigIssue } from '../types.ts';

const ENVELOPE_KEYS = ['iat', 'exp'];
/** A central policy may not point guard at another policy: the source is the local system or user layer's choice. */
const SOURCE_KEYS = ['policy_url', 'policy_jwks_url', 'policy_keys', 'policy_refresh', 'policy_max_stale'];

/** The payload as the text of a system layer (JSON is YAML). */
export function layerTextOf(payload: Record<string, unknown>): string {
  const layer = Object.fromEntries(Object.entries(payload).filter(([key]) => !ENVELOPE_KEYS.includes(key)));
  return `${JSON.stringify(layer, null, 2)}\n`;
}

/** Problems that make a payload unusable as a system layer, each as one line. */
export function checkPolicyLayer(payload: Record<string, unknown>, label: string): string[] {
  const problems = Object.keys(payload).filter((key) => SOURCE_KEYS.includes(key)).map((key) => `it sets ${key}, which only a local configuration may set`);
  const { issues } = parseLayer(layerTextOf(payload), label, 'system');
  return [...problems, ...issues.map((issue: ConfigIssue) => `line ${issue.line}: ${issue.message}`)];
}
