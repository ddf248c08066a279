/** SPEC §14's kept cluster tokens: an entry is handed out only to the session and resource it was issued for, while it lives. */
import { describe, expect, it } from 'vitest';
import { readKeptToken } from '../../src/session/resource-tokens.ts';

const NOW = 1_800_000_000_000;
const entry = (extra: Record<string, unknown> = {}) => JSON.stringify({ version: 1, session_id: 's-1', resource: 'https://k8s.example', access_token: 'at', expires_at: NOW + 600_000, ...extra });

describe('readKeptToken', () => {
  it('hands out the session\'s own token for the resource while it has life left', () => {
    expect(readKeptToken(entry(), 's-1', 'https://k8s.example', NOW)).toEqual({ token: 'at', expiresAt: NOW + 600_000 });
  });

  it('refuses a token of another session (a new sign-in, a replaced session), another resource, or one about to expire', () => {
    expect(readKeptToken(entry(), 's-2', 'https://k8s.example', NOW)).toBeUndefined();
    expect(readKeptToken(entry(), 's-1', 'https://other.example', NOW)).toBeUndefined();
    expect(readKeptToken(entry({ expires_at: NOW + 30_000 }), 's-1', 'https://k8s.example', NOW)).toBeUndefined();
  });

  it('refuses what an older guard stored (a bare token set, no session) and anything malformed', () => {
    for (const text of [undefined, '', 'not json', JSON.stringify({ access_token: 'at', expires_at: NOW + 600_000 }), entry({ version: 2 }), entry({ access_token: '' }), entry({ expires_at: 'later' }), entry({ session_id: undefined })]) {
      expect(readKeptToken(text, 's-1', 'https://k8s.example', NOW), String(text)).toBeUndefined();
    }
  });
});
