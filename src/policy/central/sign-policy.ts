/**
 * The admin's side of the central policy: `guard policy sign` turns a
 * system-layer file into a compact JWS (RFC 7515 §7.1) with `iat` and `exp`,
 * and `guard policy keygen` makes a signing key pair as JWKs (RFC 7517),
 * the key id being its RFC 7638 thumbprint.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-7.1
 * @see https://www.rfc-editor.org/rfc/rfc7638
 */
import { calculateJwkThumbprint, CompactSign, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { parse as parseYaml } from 'yaml';
import { GuardError } from '../../errors.ts';
import { formatIssue } from '../load.ts';
import { parseLayer } from '../parse-layer.ts';
import { checkPolicyLayer } from './check-policy-layer.ts';
import { ALLOWED_ALGORITHMS } from './verify-policy.ts';
import { shellLine } from '../../util/shell-quote.ts';

/** The algorithm a key implies when its JWK names none. */
function algorithmFor(jwk: JWK): string | undefined {
  if (jwk.alg) return jwk.alg;
  if (jwk.kty === 'EC') return { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[jwk.crv ?? ''];
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'RSA') return 'PS256';
  return undefined;
}

/** The public half of a JWK: what goes into policy_keys or the published JWKS. */
export function publicJwk(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, oth: _oth, ...rest } = jwk;
  return rest;
}

export interface SignOptions {
  /** ms since the epoch: becomes `iat` (seconds). */
  now: number;
  /** How long the document stays valid, ms: `exp` = `iat` + this. */
  validity: number;
}

/**
 * Signs a system-layer policy (YAML or JSON text of `file`) with a private
 * JWK. Refuses a file guard would reject as a system layer, so CI fails at
 * publishing rather than every client at fetching.
 */
export async function signPolicy(text: string, file: string, key: JWK, options: SignOptions): Promise<string> {
  const parsed = parseLayer(text, file, 'system');
  if (parsed.issues.length > 0) {
    const more = parsed.issues.length > 1 ? ` (and ${parsed.issues.length - 1} more: run ${shellLine(['guard', 'config', 'check', file])})` : '';
    throw new GuardError('config', `not signing an invalid policy: ${formatIssue(parsed.issues[0]!)}${more}`);
  }
  const layer = parseYaml(text) as Record<string, unknown>;
  const iat = Math.floor(options.now / 1000);
  const payload = { ...layer, iat, exp: iat + Math.floor(options.validity / 1000) };
  const problems = checkPolicyLayer(payload, file);
  if (problems.length > 0) throw new GuardError('config', `not signing ${file}: ${problems[0]}`);
  if (typeof key.d !== 'string') throw new GuardError('usage', 'the key is a public JWK: sign with the private one (it has "d")');
  const alg = algorithmFor(key);
  if (!alg || !ALLOWED_ALGORITHMS.includes(alg)) throw new GuardError('usage', `cannot sign with this key (${key.kty ?? 'no kty'}${alg ? `, ${alg}` : ''}): use an EC P-256/384/521, Ed25519 or RSA private JWK`);
  const kid = key.kid ?? (await calculateJwkThumbprint(publicJwk(key)));
  let privateKey: Awaited<ReturnType<typeof importJWK>>;
  try {
    privateKey = await importJWK(key, alg);
  } catch (error) {
    throw new GuardError('usage', `the signing key cannot be used: ${(error as Error).message}`, { cause: error });
  }
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg, kid }).sign(privateKey);
}

/** A new signing key pair: the private JWK (kid = thumbprint, alg, use: sig) and its public JWK Set. */
export async function generateSigningKey(alg = 'ES256'): Promise<{ privateJwk: JWK; jwks: { keys: JWK[] } }> {
  if (!ALLOWED_ALGORITHMS.includes(alg)) throw new GuardError('usage', `unsupported algorithm ${alg} (use one of ${ALLOWED_ALGORITHMS.join(', ')})`);
  const pair = await generateKeyPair(alg, { extractable: true });
  const exported = await exportJWK(pair.privateKey);
  const kid = await calculateJwkThumbprint(publicJwk(exported));
  const privateJwk: JWK = { ...exported, kid, alg, use: 'sig' };
  return { privateJwk, jwks: { keys: [publicJwk(privateJwk)] } };
}
