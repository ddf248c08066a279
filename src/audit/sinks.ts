/** The configured sinks as the drainer and `guard doctor` use them: OTLP (`audit.ship.otlp`) and syslog (`audit.syslog`). */
import { hostname } from 'node:os';
import type { Sink } from './drain.ts';
import { createOtlpSink } from './sink-otlp.ts';
import { createSyslogSink } from './sink-syslog.ts';
import type { SinkTargets } from './spool.ts';

export function createSinks(targets: SinkTargets, timeoutMs: number): Sink[] {
  return [
    ...(targets.otlp ? [createOtlpSink({ endpoint: targets.otlp, timeout: timeoutMs })] : []),
    ...(targets.syslog ? [createSyslogSink({ address: targets.syslog, timeout: timeoutMs, hostname: hostname() })] : []),
  ];
}
