/** `audit:` (SPEC §7, §16): argv logging, size cap, secret patterns, OTLP shipping, syslog. */
import { isScalar, type Node } from 'yaml';
import { Checker } from './checker.ts';
import type { AuditSettings } from '../types.ts';
import { DEFAULT_SYSLOG, parseSyslogAddress } from '../../util/syslog-address.ts';

const AUDIT_KEYS = ['argv', 'max_bytes', 'secret_patterns', 'ship', 'syslog'];

export function parseAudit(check: Checker, node: Node | null): AuditSettings {
  const audit: AuditSettings = {};
  for (const [key, value] of check.pairs(node, 'audit', AUDIT_KEYS)) {
    if (key === 'argv') audit.argv = check.boolean(value, 'audit.argv');
    else if (key === 'max_bytes') {
      if (isScalar(value) && typeof value.value === 'number' && value.value >= 4096) audit.max_bytes = value.value;
      else check.at(value, 'audit.max_bytes must be a number ≥ 4096');
    } else if (key === 'secret_patterns') {
      audit.secret_patterns = check.strings(value, 'audit.secret_patterns');
      for (const pattern of audit.secret_patterns) {
        try {
          new RegExp(pattern);
        } catch {
          check.at(value, `audit.secret_patterns: bad regular expression ${JSON.stringify(pattern)}`);
        }
      }
    } else if (key === 'ship') {
      for (const [kind, url] of check.pairs(value, 'audit.ship', ['otlp'])) if (kind === 'otlp') audit.otlp = check.string(url, 'audit.ship.otlp');
    } else if (key === 'syslog') {
      const syslog = parseSyslog(check, value);
      if (syslog) audit.syslog = syslog;
    }
  }
  return audit;
}

/** `true` (the local socket), `false` (off), or an address. */
function parseSyslog(check: Checker, node: Node | null): string | undefined {
  if (isScalar(node) && typeof node.value === 'boolean') return node.value ? DEFAULT_SYSLOG : undefined;
  const text = check.string(node, 'audit.syslog');
  if (text === undefined) return undefined;
  const address = parseSyslogAddress(text);
  if ('problem' in address) {
    check.at(node, `audit.syslog: bad address ${JSON.stringify(text)}: ${address.problem}`);
    return undefined;
  }
  return text;
}
