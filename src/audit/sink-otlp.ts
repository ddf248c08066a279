/**
 * The OTLP sink (`audit.ship.otlp`): a batch of spooled events as one
 * OTLP/HTTP JSON request; the collector took them all when it answered 2xx,
 * none otherwise.
 *
 * @see https://opentelemetry.io/docs/specs/otlp/#otlphttp
 */
import { hostname, userInfo } from 'node:os';
import { fetchErrorCode } from '../util/net.ts';
import { VERSION } from '../version.ts';
import { buildLogsData, logsEndpoint, type ResourceInfo } from './otlp.ts';
import type { Sink } from './drain.ts';

export interface OtlpSinkOptions {
  endpoint: string;
  /** Per request (ms). */
  timeout: number;
  fetch?: typeof fetch;
  now?: () => number;
}

function resource(): ResourceInfo {
  const info: ResourceInfo = { 'service.name': 'guard', 'service.version': VERSION, 'host.name': hostname() };
  try {
    info['user.name'] = userInfo().username;
  } catch {
    // no passwd entry (containers): leave it out
  }
  return info;
}

export function createOtlpSink(options: OtlpSinkOptions): Sink {
  const url = logsEndpoint(options.endpoint);
  // Messages name the collector without its query string, which may carry a key.
  const shown = `${new URL(url).origin}${new URL(url).pathname}`;
  const send = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  return {
    name: 'otlp',
    label: `OTLP ${shown}`,
    async send(events) {
      const body = JSON.stringify(buildLogsData(events.map((spooled) => spooled.event), resource(), now(), VERSION));
      let response: Response;
      try {
        response = await send(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(options.timeout) });
        await response.arrayBuffer();
      } catch (error) {
        const why = (error as Error).name === 'TimeoutError' ? 'timeout' : (fetchErrorCode(error) ?? (error as Error).message);
        return { delivered: 0, problem: `the collector at ${shown} did not answer (${why})` };
      }
      // 413: too large, for good — the drainer tries smaller batches, then drops the one event (drain.ts).
      if (!response.ok) return { delivered: 0, problem: `the collector at ${shown} answered HTTP ${response.status}`, ...(response.status === 413 ? { refused: true } : {}) };
      return { delivered: events.length };
    },
  };
}
