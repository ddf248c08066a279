/** Whether a verified policy payload is usable as a system layer (loads the YAML parser: off the hot path). */
import { parseLayer } from '../parse-layer.ts';
import type { ConfigIssue } from '../types.ts';
import { layerTextOf, SOURCE_KEYS } from './policy-layer.ts';

/** Problems that make a payload unusable as a system layer, each as one line. */
export function checkPolicyLayer(payload: Record<string, unknown>, label: string): string[] {
  const problems = Object.keys(payload).filter((key) => SOURCE_KEYS.includes(key)).map((key) => `it sets ${key}, which only a local configuration may set`);
  const { issues } = parseLayer(layerTextOf(payload), label, 'system');
  return [...problems, ...issues.map((issue: ConfigIssue) => `line ${issue.line}: ${issue.message}`)];
}
