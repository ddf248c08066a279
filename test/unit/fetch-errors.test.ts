/**
 * A failed fetch reads the same from Node's fetch (undici: `TypeError: fetch
 * failed`, the socket's code on a cause) and Bun's (the compiled binary: a
 * TypeError carrying the code itself). Shapes as each runtime throws them.
 */
import { describe, expect, it } from 'vitest';
import { fetchErrorCode } from '../../src/util/net.ts';
import { describeFetchError } from '../../src/policy/central/fetch-policy.ts';
import { idpError, isNetworkError } from '../../src/auth/idp-error.ts';

const node = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code }) });
const bun = (code: string, message: string) => Object.assign(new TypeError(message), { code });

describe('fetch errors from either runtime', () => {
  it.each([
    ['Node', 'ECONNREFUSED', node('ECONNREFUSED'), 'connection refused'],
    ['Bun', 'ECONNREFUSED', bun('ECONNREFUSED', 'ECONNREFUSED: Unable to connect. Is the computer able to access the url?'), 'connection refused'],
    ['Node', 'ENOTFOUND', node('ENOTFOUND'), 'host not found'],
    ['Bun', 'ENOTFOUND', bun('ENOTFOUND', 'getaddrinfo ENOTFOUND no-such-host.invalid'), 'host not found'],
    ['Node', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', node('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'TLS certificate not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE; a private CA needs NODE_EXTRA_CA_CERTS)'],
    ['Bun', 'DEPTH_ZERO_SELF_SIGNED_CERT', bun('DEPTH_ZERO_SELF_SIGNED_CERT', 'self signed certificate'), 'TLS certificate not trusted (DEPTH_ZERO_SELF_SIGNED_CERT; a private CA needs NODE_EXTRA_CA_CERTS)'],
  ])('%s: %s', (_runtime, code, error, described) => {
    expect(fetchErrorCode(error)).toBe(code);
    expect(describeFetchError(error, 5000)).toBe(described);
    expect(isNetworkError(error)).toBe(true);
  });

  it('says the IdP refused the connection, whichever runtime threw', () => {
    for (const error of [node('ECONNREFUSED'), bun('ECONNREFUSED', 'ECONNREFUSED: Unable to connect.')]) {
      expect(idpError('http://127.0.0.1:1', 'discovery', error).message).toMatch(/refused the connection during discovery/);
    }
  });

  it("is not fooled by a library's own codes", () => {
    expect(fetchErrorCode(Object.assign(new Error('bad response'), { code: 'OAUTH_RESPONSE_BODY_ERROR' }))).toBeUndefined();
    expect(fetchErrorCode(new Error('no code'))).toBeUndefined();
  });
});
