/**
 * A small OTLP/HTTP JSON logs receiver on 127.0.0.1 that records what
 * arrives: every request and every log record. `mode` makes it a healthy
 * collector, a failing one (HTTP 503) or one that never answers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRecord {
  /** The record's attributes as plain values (`event.name`, `guard.profile`, …). */
  attributes: Record<string, unknown>;
  /** The audit line the record carries. */
  body: string;
  timeUnixNano: string;
  severityText: string;
  /** The resource attributes of its batch. */
  resource: Record<string, unknown>;
}

export interface OtlpReceiver {
  url: string;
  port: number;
  requests: Array<{ path: string; contentType: string | undefined }>;
  records: ReceivedRecord[];
  mode: 'ok' | 'fail' | 'hang';
  stop(): Promise<void>;
}

type AnyValue = Record<string, unknown>;

function plain(value: AnyValue): unknown {
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return value.boolValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return value.doubleValue;
  if ('arrayValue' in value) return ((value.arrayValue as { values?: AnyValue[] }).values ?? []).map(plain);
  if ('kvlistValue' in value) return attributes((value.kvlistValue as { values?: Array<{ key: string; value: AnyValue }> }).values);
  return undefined;
}

function attributes(list: Array<{ key: string; value: AnyValue }> | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, plain(value)]));
}

function record(receiver: OtlpReceiver, request: IncomingMessage, body: string): void {
  receiver.requests.push({ path: request.url ?? '', contentType: request.headers['content-type'] });
  const data = JSON.parse(body) as {
    resourceLogs: Array<{ resource?: { attributes?: Array<{ key: string; value: AnyValue }> }; scopeLogs: Array<{ logRecords: Array<Record<string, unknown>> }> }>;
  };
  for (const rl of data.resourceLogs) {
    const resource = attributes(rl.resource?.attributes);
    for (const sl of rl.scopeLogs) {
      for (const r of sl.logRecords) {
        receiver.records.push({
          attributes: attributes(r.attributes as Array<{ key: string; value: AnyValue }>),
          body: (r.body as { stringValue: string }).stringValue,
          timeUnixNano: r.timeUnixNano as string,
          severityText: r.severityText as string,
          resource,
        });
      }
    }
  }
}

export async function startOtlpReceiver(options: { port?: number; mode?: OtlpReceiver['mode'] } = {}): Promise<OtlpReceiver> {
  const hanging: ServerResponse[] = [];
  const receiver: OtlpReceiver = { url: '', port: 0, requests: [], records: [], mode: options.mode ?? 'ok', stop: async () => undefined };
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      if (receiver.mode === 'hang') {
        receiver.requests.push({ path: request.url ?? '', contentType: request.headers['content-type'] });
        return void hanging.push(response);
      }
      if (receiver.mode === 'fail') return void response.writeHead(503).end();
      if (request.method !== 'POST' || request.url !== '/v1/logs') return void response.writeHead(404).end();
      try {
        record(receiver, request, body);
      } catch {
        return void response.writeHead(400).end();
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}/v1/logs`;
  receiver.stop = () =>
    new Promise((resolve) => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}
