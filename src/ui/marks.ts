/** The marks `guard init` and `guard doctor` put before each finding. */
import type { Style } from './style.ts';

export type MarkStatus = 'pass' | 'fail' | 'warn' | 'unknown' | 'info';

/** ✓ passed, ✗ failed, ! works less well, ? could not be verified, - for information. */
export function statusMark(status: MarkStatus, s: Style): string {
  switch (status) {
    case 'pass': return s.green('✓');
    case 'fail': return s.red('✗');
    case 'warn': return s.yellow('!');
    case 'unknown': return s.dim('?');
    default: return s.dim('-');
  }
}
