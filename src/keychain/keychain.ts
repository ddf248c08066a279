/**
 * Tokens live only in the OS keychain: service `guard`, account = profile
 * (SPEC §6), behind a small interface like aws-vault's keyring. Credentials
 * guard obtained with them for other services (AWS, SPEC §15) are kept
 * there too, each under an account name of its own.
 */

/** Where a profile's tokens live: the Secret Service, or (explicitly) the Linux kernel keyring. */
export type StoreKind = 'secret-service' | 'keyutils';

export const KEYCHAIN_SERVICE = 'guard';

export interface TokenSet {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  /** ms since epoch */
  expires_at?: number;
  /** ms since epoch, when the IdP says when the refresh token ends */
  refresh_expires_at?: number;
  scope?: string;
}

export interface Keychain {
  /** undefined when there is no entry; throws GuardError('keychain') when the store is unusable or locked. */
  get(profile: string, store: StoreKind): Promise<TokenSet | undefined>;
  set(profile: string, store: StoreKind, tokens: TokenSet): Promise<void>;
  /** true when an entry was deleted (a profile's tokens, or a secret's account). */
  delete(profile: string, store: StoreKind): Promise<boolean>;
  /** Another secret as text under its own account name (a cached AWS credential); undefined when there is none. */
  getSecret(account: string, store: StoreKind): Promise<string | undefined>;
  setSecret(account: string, store: StoreKind, text: string): Promise<void>;
}

/** Parses a stored entry; undefined when it is not a token set (a corrupt entry means no session). */
export function parseTokenSet(text: string): TokenSet | undefined {
  try {
    const value = JSON.parse(text) as Partial<TokenSet> | null;
    if (!value || typeof value !== 'object' || typeof value.access_token !== 'string' || value.access_token === '') return undefined;
    if (value.refresh_token !== undefined && typeof value.refresh_token !== 'string') return undefined;
    if (value.id_token !== undefined && typeof value.id_token !== 'string') return undefined;
    if (value.expires_at !== undefined && !Number.isFinite(value.expires_at)) return undefined;
    return value as TokenSet;
  } catch {
    return undefined;
  }
}
