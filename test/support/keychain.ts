/** Reads the real Secret Service entry guard wrote, to check rotation and revocation from outside. */
import { AsyncEntry } from '@napi-rs/keyring';

export interface StoredTokens {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  expires_at?: number;
}

export async function readKeychain(profile: string): Promise<StoredTokens | undefined> {
  const text = await new AsyncEntry('guard', profile, { linux: { store: 'secret-service' } }).getPassword();
  return text ? (JSON.parse(text) as StoredTokens) : undefined;
}

/** Asks the IdP's token endpoint to use a refresh token: `invalid_grant` once it is revoked or rotated. */
export async function tryRefresh(issuer: string, refreshToken: string): Promise<{ status: number; error?: string }> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'guard-cli' }),
  });
  const body = (await response.json()) as { error?: string };
  return { status: response.status, error: body.error };
}

/** Is this access token accepted at the userinfo endpoint? */
export async function userinfoAccepts(issuer: string, accessToken: string): Promise<boolean> {
  const response = await fetch(`${issuer}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  return response.status === 200;
}
