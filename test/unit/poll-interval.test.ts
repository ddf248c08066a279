/** The device flow's polling interval when the IdP names none (RFC 8628 §3.2). */
import { describe, expect, it } from 'vitest';
import { defaultPollInterval } from '../../src/auth/poll-interval.ts';

describe('defaultPollInterval', () => {
  it.each([
    ['no setting: the RFC\'s 5 s', 'https://idp.example.com', undefined, 5],
    ['a remote IdP: never below 5 s', 'https://idp.example.com/realms/eng', '0.1', 5],
    ['a remote IdP on an IP address: never below 5 s', 'https://10.0.0.7', '1', 5],
    ['a remote IdP: a slower setting is kept', 'https://idp.example.com', '8', 8],
    ['a look-alike of loopback is remote', 'https://127.0.0.1.example.com', '0.2', 5],
    ['loopback 127.0.0.1: lowered for tests', 'http://127.0.0.1:4000', '0.2', 0.2],
    ['localhost: lowered', 'http://localhost:4000', '1', 1],
    ['[::1]: lowered', 'http://[::1]:4000', '0.5', 0.5],
    ['nonsense: the RFC\'s 5 s', 'http://127.0.0.1:4000', 'fast', 5],
    ['empty: the RFC\'s 5 s', 'http://127.0.0.1:4000', '', 5],
    ['below 0.1 s: the RFC\'s 5 s', 'http://127.0.0.1:4000', '0', 5],
  ])('%s', (_name, issuer, setting, expected) => {
    expect(defaultPollInterval(issuer, setting === undefined ? {} : { GUARD_POLL_INTERVAL: setting })).toBe(expected);
  });
});
