/**
 * Verifies a central policy document: a compact JWS (RFC 7515 §7.1) signed
 * with an asymmetric algorithm by a key of the configured JWK Set
 * (RFC 7517 §5), whose JSON payload is a system layer with numeric `iat`
 * and `exp`. The only importer of jose on the read side, loaded only when a
 * new document arrived.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-7.1
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, errors, type JSONWebKeySet } from 'jose';
import { checkPolicyLayer } from './check-policy-layer.ts';

/**
 * Asymmetric algorithms only: a shared secret would have to sit in every
 * client's configuration, and `none` is never a signature (RFC 7518 §3.6).
 */
export const ALLOWED_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512'];

/** The server answered with a document guard must not use: the cached copy stays, and the audit log says why. */
export class PolicyRejected extends Error {
  override name = 'PolicyRejected';
}

export interface VerifiedPolicy {
  payload: Record<string, unknown>;
  iat: number;
  exp: number;
  alg: string;
  kid?: string;
}

export interface VerifyOptions {
  keys: { keys: unknown[] };
  /** ms since the epoch. */
  now: number;
  /** The cached copy's iat: an older document is a rollback. */
  cachedIat?: number;
  /** `policy:<url>`, for the layer check's messages. */
  label: string;
}

const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

function readHeader(jws: string): { alg?: unknown; kid?: unknown } {
  if (!COMPACT.test(jws)) throw new PolicyRejected('not a compact JWS: the document is not signed');
  try {
    return decodeProtectedHeader(jws) as { alg?: unknown; kid?: unknown };
  } catch {
    throw new PolicyRejected('malformed JWS header');
  }
}

function rejectionFor(error: unknown, header: { alg?: unknown; kid?: unknown }): Error {
  if (error instanceof errors.JOSEAlgNotAllowed) return new PolicyRejected(`algorithm ${String(header.alg)} is not allowed (use one of ${ALLOWED_ALGORITHMS.join(', ')})`);
  if (error instanceof errors.JWSSignatureVerificationFailed) return new PolicyRejected('bad signature');
  if (error instanceof errors.JWKSNoMatchingKey) return new PolicyRejected(`signed with a key that is not in the key set (kid ${header.kid === undefined ? 'none' : JSON.stringify(header.kid)})`);
  if (error instanceof errors.JWKSMultipleMatchingKeys) return new PolicyRejected('several keys of the key set match; give each key a distinct kid');
  // The key set itself is broken: the document may be fine, so this is a failed check, not a rejection.
  if (error instanceof errors.JWKSInvalid) return new Error(`the key set is invalid: ${error.message}`);
  if (error instanceof errors.JOSEError) return new PolicyRejected(`cannot verify: ${error.message}`);
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Verifies `jws` and checks its payload. Throws PolicyRejected for a
 * document that must not be used (unsigned, `alg: none`, bad signature,
 * unknown key, expired, rollback, not a valid system layer).
 */
export async function verifyPolicy(jws: string, options: VerifyOptions): Promise<VerifiedPolicy> {
  const header = readHeader(jws);
  if (header.alg === 'none' || jws.endsWith('.')) throw new PolicyRejected('unsigned (alg none)');
  let verified: Awaited<ReturnType<typeof compactVerify>>;
  try {
    verified = await compactVerify(jws, createLocalJWKSet(options.keys as JSONWebKeySet), { algorithms: ALLOWED_ALGORITHMS });
  } catch (error) {
    throw rejectionFor(error, header);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder().decode(verified.payload));
  } catch {
    throw new PolicyRejected('the payload is not JSON');
  }
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw new PolicyRejected('the payload is not a JSON object');
  const claims = payload as Record<string, unknown>;
  const { iat, exp } = claims;
  if (typeof iat !== 'number' || !Number.isFinite(iat) || typeof exp !== 'number' || !Number.isFinite(exp)) {
    throw new PolicyRejected('the payload needs numeric iat and exp');
  }
  if (options.now >= exp * 1000) throw new PolicyRejected(`expired at ${iso(exp)}`);
  if (options.cachedIat !== undefined && iat < options.cachedIat) {
    throw new PolicyRejected(`rollback: version ${iso(iat)} is older than the cached ${iso(options.cachedIat)}`);
  }
  const problems = checkPolicyLayer(claims, options.label);
  if (problems.length > 0) throw new PolicyRejected(`not a valid system layer: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`);
  const { alg, kid } = verified.protectedHeader;
  return { payload: claims, iat, exp, alg: alg!, ...(typeof kid === 'string' ? { kid } : {}) };
}
