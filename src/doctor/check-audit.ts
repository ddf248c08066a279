/**
 * Doctor: the audit sinks (SPEC §16): for `audit.syslog` and
 * `audit.ship.otlp`, where they are, whether they answer now, what the
 * background sender last saw, and how many events wait in the spool. A
 * sink that is down never stops a command (its events wait), so it is a
 * warning, never a failure. Nothing configured and nothing waiting: no line.
 */
import { lstatSync } from 'node:fs';
import { DEFAULT_MAX_SPOOLED, queuedFiles } from '../audit/drain.ts';
import { connectTcp } from '../audit/sink-syslog.ts';
import { createSinks } from '../audit/sinks.ts';
import { readSinkStatus } from '../audit/sink-status.ts';
import { queueDir, type SinkName } from '../audit/spool.ts';
import type { AuditSettings } from '../deps.ts';
import { formatDuration } from '../util/duration.ts';
import { parseSyslogAddress } from '../util/syslog-address.ts';
import { escapeControl } from '../util/text.ts';
import type { CheckResult } from './check.ts';

/** Can a connection be opened now? undefined when it can, else why not (the sink's own connect). */
async function tcpProblem(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  const opened = await connectTcp(host, port, timeoutMs);
  if ('problem' in opened) return opened.problem;
  opened.socket.destroy();
  return undefined;
}

/** What can be seen of the sink now without sending it anything: 'reachable', a problem, or undefined (udp, OTLP: not probed). */
async function probe(sink: SinkName, target: string, timeoutMs: number): Promise<{ ok: boolean; text: string } | undefined> {
  if (sink !== 'syslog') return undefined;
  const address = parseSyslogAddress(target);
  if ('problem' in address) return undefined;
  if (address.kind !== 'unix') {
    if (address.kind === 'udp') return undefined; // a datagram is never answered: nothing to see without sending
    const problem = await tcpProblem(address.host, address.port, timeoutMs);
    return problem ? { ok: false, text: `not reachable (${problem})` } : { ok: true, text: 'reachable' };
  }
  const info = lstatSync(address.path, { throwIfNoEntry: false });
  if (!info) return { ok: false, text: `no socket at ${escapeControl(address.path)}` };
  return info.isSocket() ? { ok: true, text: 'socket present' } : { ok: false, text: `${escapeControl(address.path)} is not a socket` };
}

export async function checkAuditSinks(stateDir: string, audit: AuditSettings, now: number, timeoutMs: number): Promise<CheckResult[]> {
  const sinks = createSinks({ otlp: audit.otlp, syslog: audit.syslog }, timeoutMs);
  const names: SinkName[] = ['otlp', 'syslog'];
  const results: CheckResult[] = [];
  for (const name of names) {
    const sink = sinks.find((s) => s.name === name);
    const waiting = queuedFiles(queueDir(stateDir, name)).length;
    if (!sink && waiting === 0) continue;
    const label = `audit sink ${escapeControl(sink?.label ?? name)}`;
    const events = `${waiting} event${waiting === 1 ? '' : 's'} waiting in the spool`;
    if (!sink) {
      results.push({ id: 'audit', status: 'warn', summary: `${label}: not configured, ${events}`, fix: `set audit.${name === 'otlp' ? 'ship.otlp' : 'syslog'} again to send them, or remove ${escapeControl(queueDir(stateDir, name))}` });
      continue;
    }
    const status = readSinkStatus(stateDir, name);
    const live = await probe(name, (name === 'otlp' ? audit.otlp : audit.syslog)!, timeoutMs);
    const last = status
      ? status.ok
        ? `last sent ${formatDuration(now - (status.delivered_at ?? status.checked_at))} ago`
        : `last try ${formatDuration(now - status.checked_at)} ago failed: ${escapeControl(status.problem ?? 'unknown')}`
      : 'nothing sent yet';
    const dropped = [
      status?.pruned_total ? `; ${status.pruned_total} old events were dropped from a full spool` : '',
      status?.dropped_total ? `; ${status.dropped_total} events were dropped unsent (refused by the sink as too large, or unreadable)` : '',
    ].join('');
    const summary = `${label}: ${live ? `${live.text}; ` : ''}${events}; ${last}${dropped}`;
    const down = (live && !live.ok) || (waiting > 0 && status !== undefined && !status.ok);
    if (down || dropped) {
      results.push({ id: 'audit', status: 'warn', summary, fix: down ? 'start the receiver or correct the address; commands run meanwhile, and the next guard command sends what waits, oldest first' : status?.pruned_total ? `keep the sink up: the spool keeps the newest ${DEFAULT_MAX_SPOOLED} events per sink` : 'raise the receiver\'s message size limit (rsyslog maxMessageSize, the collector\'s request size limit)' });
    } else results.push({ id: 'audit', status: 'pass', summary });
  }
  return results;
}
