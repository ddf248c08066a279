/**
 * Audit events as syslog messages (SPEC §16). Pure. Facility `authpriv`
 * (10, RFC 5424 §6.2.1: security/authorization messages), severity `notice`,
 * or `warning` for an event where someone was stopped; the event's JSON
 * (the audit line exactly) as the message.
 *
 * - On a unix socket, logger(1) writes syslog(3)'s format,
 *   `<PRI>Mmm dd hh:mm:ss guard[PID]: MSG`; it gets each message as
 *   `<PRI>MSG` (`--prio-prefix`), see {@link priorityPrefixed}.
 * - On udp/tcp, RFC 5424: `<PRI>1 TIMESTAMP HOSTNAME guard PID MSGID - MSG`,
 *   with the event's own time and host (a spooled event keeps both) and the
 *   event name as MSGID; on tcp each message is octet-counted (RFC 6587 §3.4.1).
 *
 * @see https://www.rfc-editor.org/rfc/rfc5424#section-6
 * @see https://www.rfc-editor.org/rfc/rfc6587#section-3.4.1
 * @see https://www.rfc-editor.org/rfc/rfc3164#section-4.1
 */
import type { SpooledEvent } from './drain.ts';

export const FACILITY_AUTHPRIV = 10;
const NOTICE = 5;
const WARNING = 4;
/** Events where guard stopped someone: `warning`. */
const WARNING_EVENTS = new Set(['denied', 'login_failed', 'approval_denied']);
export const APP_NAME = 'guard';

/** PRI = facility × 8 + severity. */
export function syslogPriority(event: string): number {
  return FACILITY_AUTHPRIV * 8 + (WARNING_EVENTS.has(event) ? WARNING : NOTICE);
}

/** One line for `logger --prio-prefix`. The audit line holds no newline (JSON escapes it). */
export function priorityPrefixed(spooled: SpooledEvent): string {
  return `<${syslogPriority(spooled.event.event)}>${spooled.line}`;
}

/** An RFC 5424 header field: printable US-ASCII without spaces, at most `max` characters, `-` when empty. */
function headerField(text: string, max: number): string {
  const clean = text.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return clean === '' ? '-' : clean;
}

/** The RFC 5424 message of one event; `fallbackHost` for an event without `host`. */
export function rfc5424(spooled: SpooledEvent, fallbackHost: string): string {
  const { event } = spooled;
  const host = typeof event.host === 'string' && event.host !== '' ? event.host : fallbackHost;
  const time = Number.isFinite(Date.parse(event.ts)) ? new Date(Date.parse(event.ts)).toISOString() : '-';
  return `<${syslogPriority(event.event)}>1 ${time} ${headerField(host, 255)} ${APP_NAME} ${spooled.pid} ${headerField(event.event, 32)} - ${spooled.line}`;
}

/** RFC 6587 octet counting: the message's length in bytes, a space, the message. */
export function octetCounted(message: string): string {
  return `${Buffer.byteLength(message)} ${message}`;
}
