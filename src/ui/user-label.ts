/** How status and the overview name the signed-in user. */
import { escapeControl } from '../util/text.ts';
import type { Style } from './style.ts';

/**
 * The readable name in bold, with the subject after it when they differ
 * (`alice@example.test (sub 4f2c…)`); just the subject when the IdP gave no
 * readable name. Both come from the IdP: control characters are escaped.
 */
export function userLabel(session: { subject: string; display_name?: string }, s: Pick<Style, 'bold'>): string {
  const name = session.display_name;
  if (!name || name === session.subject) return s.bold(escapeControl(session.subject));
  return `${s.bold(escapeControl(name))} (sub ${escapeControl(session.subject)})`;
}
