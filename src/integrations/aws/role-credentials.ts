/**
 * A role's temporary credentials for one session (SPEC §15): from the
 * keychain while they last, else from STS — once for any number of parallel
 * callers, which wait on one lock per role as a refresh does. An entry
 * belongs to the session that obtained it (its id is inside), so a lock,
 * logout or new sign-in never lets an old one be handed out; ending the
 * session deletes them all (session/held-secrets.ts).
 */
import { warn, type Deps } from '../../deps.ts';
import { GuardError } from '../../errors.ts';
import { acquireLock } from '../../files/lock.ts';
import { parseJsonObject } from '../../files/private-file.ts';
import type { Profile } from '../../policy/types.ts';
import { heldSecretLockPath, recordHeldSecret } from '../../session/held-secrets.ts';
import type { SessionState } from '../../session/state.ts';
import { fingerprint } from '../../util/builtins.ts';
import { httpTimeout } from '../../util/http-timeout.ts';
import type { AwsCredentials } from './sts-response.ts';

export interface RoleRequest {
  profile: Profile;
  state: SessionState;
  roleArn: string;
  /** The requested --duration (s): part of the cache key. */
  requested: number;
  /** What a new credential is asked for: STS's endpoint, session name, duration, and the ID token (read only on a miss). */
  sts: () => { endpoint: string; roleSessionName: string; durationSeconds: number; webIdentityToken: string };
}

export interface RoleCredentials {
  credentials: AwsCredentials;
  /** Handed out from the keychain, or just issued by STS. */
  source: 'cached' | 'sts';
}

/** A cached credential with less life than this left is replaced: the SDKs refresh about that early. */
const REFRESH_BEFORE_MS = 5 * 60_000;
/** The lock's patience covers STS's timeouts and retries. */
const STS_LOCK = { timeout: 60_000, stale: 120_000, what: 'another guard process asking STS for this role' };

/** The keychain account of one role's credentials: profile, role and requested duration. */
export function awsCacheAccount(profile: string, roleArn: string, requested: number): string {
  return `aws-credential ${JSON.stringify([profile, roleArn, requested])}`;
}

/** A cached entry's credentials, when it belongs to this session and role and has life left. */
export function readCachedCredentials(text: string | undefined, sessionId: string, roleArn: string, now: number): AwsCredentials | undefined {
  const entry = text === undefined ? undefined : parseJsonObject(text);
  if (!entry || entry.version !== 1 || entry.session_id !== sessionId || entry.role_arn !== roleArn) return undefined;
  const { access_key_id: accessKeyId, secret_access_key: secretAccessKey, session_token: sessionToken, expires_at: expiresAt } = entry;
  if (typeof accessKeyId !== 'string' || typeof secretAccessKey !== 'string' || typeof sessionToken !== 'string' || typeof expiresAt !== 'number') return undefined;
  if (expiresAt - REFRESH_BEFORE_MS <= now) return undefined;
  return { accessKeyId, secretAccessKey, sessionToken, expiresAt };
}

function cacheEntry(credentials: AwsCredentials, sessionId: string, roleArn: string): string {
  return JSON.stringify({
    version: 1,
    session_id: sessionId,
    role_arn: roleArn,
    access_key_id: credentials.accessKeyId,
    secret_access_key: credentials.secretAccessKey,
    session_token: credentials.sessionToken,
    expires_at: credentials.expiresAt,
  });
}

/** The role's credentials for this session: cached, or new from STS (listed, then stored, before they are handed out). */
export async function roleCredentials(deps: Deps, request: RoleRequest): Promise<RoleCredentials> {
  const { profile, state, roleArn } = request;
  const account = awsCacheAccount(profile.name, roleArn, request.requested);
  const keychain = await deps.keychain();
  const cached = () => keychain.getSecret(account, profile.store).then((text) => readCachedCredentials(text, state.session_id, roleArn, deps.now()));
  const hit = await cached();
  if (hit) return { credentials: hit, source: 'cached' };
  const lock = await acquireLock(heldSecretLockPath(deps.paths.stateDir, profile.name, fingerprint(account)), STS_LOCK, () =>
    warn(deps, 'another guard process is asking STS for this role; waiting for it'),
  );
  try {
    const filled = await cached(); // by the process we waited for
    if (filled) return { credentials: filled, source: 'cached' };
    const { assumeRoleWithWebIdentity } = await import('./sts.ts');
    const sts = request.sts();
    const askedAt = deps.now();
    const issued = await assumeRoleWithWebIdentity({ roleArn, ...sts }, { timeoutSeconds: httpTimeout(deps.env) });
    // They live no longer than asked for, whatever Expiration says: a far-future one (a broken endpoint, a skewed
    // clock) would keep them cached, and handed out, past their life.
    const credentials = { ...issued, expiresAt: Math.min(issued.expiresAt, askedAt + sts.durationSeconds * 1000) };
    if (credentials.expiresAt <= deps.now()) throw new GuardError('idp', `STS issued credentials for role ${roleArn} that had already expired; check this machine's clock`);
    recordHeldSecret(deps.paths.stateDir, profile.name, { account, store: profile.store, kind: 'aws-credential' });
    await keychain.setSecret(account, profile.store, cacheEntry(credentials, state.session_id, roleArn));
    return { credentials, source: 'sts' };
  } finally {
    lock.release();
  }
}
