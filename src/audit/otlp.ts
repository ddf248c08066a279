/**
 * Audit events as OpenTelemetry log records, in the OTLP/HTTP JSON encoding
 * (an `ExportLogsServiceRequest`: resourceLogs → scopeLogs → logRecords).
 * Pure: the resource and the clock are passed in.
 *
 * Each record keeps the exact audit line as its `body.stringValue` (lossless,
 * greppable) and repeats the fields as attributes for querying:
 * `event.name` = `guard.<event>`, and `guard.<field>` for every field.
 *
 * @see https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding
 * @see https://github.com/open-telemetry/opentelemetry-proto/blob/main/opentelemetry/proto/logs/v1/logs.proto
 */
import type { AuditEvent } from './event.ts';

export type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: AnyValue[] } }
  | { kvlistValue: { values: KeyValue[] } };

export interface KeyValue {
  key: string;
  value: AnyValue;
}

export interface LogRecord {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  body: AnyValue;
  attributes: KeyValue[];
}

export interface LogsData {
  resourceLogs: Array<{
    resource: { attributes: KeyValue[] };
    scopeLogs: Array<{ scope: { name: string; version: string }; logRecords: LogRecord[] }>;
  }>;
}

/** Severity numbers from the OpenTelemetry log data model. */
const SEVERITY = { INFO: 9, WARN: 13 } as const;
/** Events a security team wants to see highlighted: someone was stopped or a session ended abnormally. */
const WARN_EVENTS = new Set(['denied', 'login_failed', 'session_expired', 'config_untrusted', 'policy_rejected', 'offline_allowed']);

/** Encodes a JSON value as an OTLP AnyValue (64-bit integers as decimal strings, as OTLP/JSON asks). */
export function toAnyValue(value: unknown): AnyValue {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isSafeInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(toAnyValue) } };
  if (value && typeof value === 'object') return { kvlistValue: { values: toKeyValues(value as Record<string, unknown>) } };
  return { stringValue: String(value) };
}

export function toKeyValues(object: Record<string, unknown>, prefix = ''): KeyValue[] {
  return Object.entries(object)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([key, value]) => ({ key: `${prefix}${key}`, value: toAnyValue(value) }));
}

function unixNano(ms: number): string {
  return (BigInt(Math.round(ms)) * 1_000_000n).toString();
}

/** One audit event as one log record. */
export function toLogRecord(event: AuditEvent, observedAt: number): LogRecord {
  const time = Date.parse(event.ts);
  const severity = WARN_EVENTS.has(event.event) ? 'WARN' : 'INFO';
  const { ts: _ts, ...fields } = event;
  return {
    timeUnixNano: unixNano(Number.isFinite(time) ? time : observedAt),
    observedTimeUnixNano: unixNano(observedAt),
    severityNumber: SEVERITY[severity],
    severityText: severity,
    body: { stringValue: JSON.stringify(event) },
    attributes: [{ key: 'event.name', value: { stringValue: `guard.${event.event}` } }, ...toKeyValues(fields, 'guard.')],
  };
}

export interface ResourceInfo {
  'service.name': string;
  'service.version': string;
  'host.name'?: string;
  'user.name'?: string;
}

/** The request body for a batch of events. */
export function buildLogsData(events: readonly AuditEvent[], resource: ResourceInfo, observedAt: number, scopeVersion: string): LogsData {
  return {
    resourceLogs: [
      {
        resource: { attributes: toKeyValues({ ...resource }) },
        scopeLogs: [{ scope: { name: 'guard.audit', version: scopeVersion }, logRecords: events.map((event) => toLogRecord(event, observedAt)) }],
      },
    ],
  };
}

/**
 * The URL to POST to: a URL with a path is used as it is (like
 * OTEL_EXPORTER_OTLP_LOGS_ENDPOINT); a bare collector address gets the
 * standard `/v1/logs` (like OTEL_EXPORTER_OTLP_ENDPOINT).
 */
export function logsEndpoint(configured: string): string {
  const url = new URL(configured);
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/v1/logs';
  return url.toString();
}
