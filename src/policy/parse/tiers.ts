/** `tiers:` (SPEC §2, §10): each tier's limits, `bind`, `approve_each` and `offline_grace`. */
import { isScalar, type Node } from 'yaml';
import { Checker } from './checker.ts';
import type { Limits } from '../types.ts';

const TIER_KEYS = ['idle', 'max_session', 'reauth_within', 'confirm', 'bind', 'approve_each', 'offline_grace'];

export function parseLimits(check: Checker, name: string, node: Node | null): Limits {
  const limits: Limits = {};
  for (const [key, value] of check.pairs(node, `tiers.${name}`, TIER_KEYS)) {
    if (key === 'confirm') limits.confirm = check.boolean(value, `tiers.${name}.confirm`);
    else if (key === 'approve_each') limits.approve_each = check.boolean(value, `tiers.${name}.approve_each`);
    else if (key === 'bind') {
      if (check.string(value, `tiers.${name}.bind`) !== 'terminal') check.at(value, `tiers.${name}.bind must be "terminal"`);
      // What identifies a terminal (tty, session, leader's start time) is read from /proc.
      else if (process.platform !== 'linux') check.at(value, `tiers.${name}.bind: terminal is supported on Linux only (guard reads the terminal's identity from /proc)`);
      else limits.bind = 'terminal';
    } else if (key === 'offline_grace' && isScalar(value) && (value.value === 0 || value.value === '0')) {
      limits.offline_grace = 0; // a layer may say "no grace" outright (an earlier layer's grace then ends)
    } else limits[key as 'idle' | 'max_session' | 'reauth_within' | 'offline_grace'] = check.duration(value, `tiers.${name}.${key}`);
  }
  return limits;
}
