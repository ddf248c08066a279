/**
 * HTTP for the central policy: the document with a conditional GET
 * (If-None-Match, RFC 7232 §3.2; 304 means "your copy is current") and the
 * JWKS (RFC 7517 §5). Every request has a timeout and a size cap, and a
 * failure is one short reason, never a response body.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7232#section-3.2
 */
import { fetchErrorCode } from '../../util/net.ts';

/** The server could not be asked, or answered with an error: the cached copy stays, nothing is rejected. */
export class PolicyUnreachable extends Error {
  override name = 'PolicyUnreachable';
}

export type DocumentResponse = { status: 'not_modified' } | { status: 'ok'; body: string; etag?: string };

/** A policy is a few kilobytes; refuse to buffer anything absurd. */
const MAX_BYTES = 1 << 20;

/** Why a fetch failed, in a few words: timeouts, refused connections and TLS trust problems are the common ones. */
export function describeFetchError(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string } | undefined;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs / 1000}s`;
  const code = fetchErrorCode(error);
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code && /CERT|SELF_SIGNED|UNABLE_TO|TLS/.test(code)) return `TLS certificate not trusted (${code}; a private CA needs NODE_EXTRA_CA_CERTS)`;
  return code ?? e?.message?.split('\n')[0]?.slice(0, 120) ?? 'unknown error';
}

async function get(url: string, headers: Record<string, string>, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new PolicyUnreachable(describeFetchError(error, timeoutMs), { cause: error });
  }
}

async function readCapped(response: Response, timeoutMs: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > MAX_BYTES) throw new PolicyUnreachable(`response larger than ${MAX_BYTES} bytes`);
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new PolicyUnreachable(describeFetchError(error, timeoutMs), { cause: error });
  }
  if (text.length > MAX_BYTES) throw new PolicyUnreachable(`response larger than ${MAX_BYTES} bytes`);
  return text;
}

/**
 * GETs the policy document. With `etag`, asks only for a newer one
 * (If-None-Match); a 304 is "not modified". Throws PolicyUnreachable.
 */
export async function fetchPolicyDocument(url: string, options: { etag?: string; timeoutMs: number }): Promise<DocumentResponse> {
  const headers: Record<string, string> = { accept: 'application/jose, text/plain;q=0.5' };
  if (options.etag) headers['if-none-match'] = options.etag;
  const response = await get(url, headers, options.timeoutMs);
  if (response.status === 304 && options.etag) {
    await response.body?.cancel();
    return { status: 'not_modified' };
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new PolicyUnreachable(`HTTP ${response.status}`);
  }
  const body = await readCapped(response, options.timeoutMs);
  const etag = response.headers.get('etag') ?? undefined;
  return { status: 'ok', body: body.trim(), ...(etag ? { etag } : {}) };
}

/** GETs a JWK Set (RFC 7517 §5): `{"keys": [...]}`. Throws PolicyUnreachable. */
export async function fetchJwks(url: string, timeoutMs: number): Promise<{ keys: unknown[] }> {
  const response = await get(url, { accept: 'application/jwk-set+json, application/json;q=0.9' }, timeoutMs);
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new PolicyUnreachable(`the key set ${url} answered HTTP ${response.status}`);
  }
  const text = await readCapped(response, timeoutMs);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new PolicyUnreachable(`the key set ${url} is not JSON`);
  }
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new PolicyUnreachable(`the key set ${url} has no "keys" list`);
  return { keys };
}
