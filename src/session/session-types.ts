/** What a command asks of a session, and what it gets: shared by ensure.ts and refresh-session.ts. */
import type { TokenSet } from '../keychain/keychain.ts';
import type { Limits, Profile } from '../policy/types.ts';
import type { CommandShape } from '../policy/telling-words.ts';
import type { ClaimNames } from './idp-limits.ts';
import type { SessionState } from './state.ts';
import type { Terminal } from './terminal.ts';

export interface SessionNeed {
  profile: Profile;
  limits: Limits;
  /** The loosest limits of all tiers: beyond them the session is dead. */
  loosest: Limits;
  /** For audit events. */
  tier: string;
  rules: string[];
  command: string;
  /** May a device-flow login start inline? */
  allowLogin: boolean;
  /** Does the caller need the tokens (injection, `guard token`)? */
  needTokens: boolean;
  /** Does any tier use reauth_within (then auth_time is required)? */
  requireAuthTime: boolean;
  /** ID token claims that carry IdP-driven limits (config `claims:`). */
  claims?: ClaimNames;
  noBrowser?: boolean;
  /** The caller hands out the ID token (kube-credential): one about to expire needs a refresh even while the access token lives. */
  needsIdToken?: boolean;
  /** Replaces "or pass --prompt to sign in inline" when a sign-in is needed but not allowed (a credential plugin has no --prompt). */
  inlineHint?: string;
  /** What an out-of-band approver is asked about (SPEC §11): the command's shape for the binding message, and the whole command as typed for the line that asks. */
  subject?: CommandShape & { shown: string };
}

export interface ActiveSession {
  state: SessionState;
  tokens?: TokenSet;
  /** For a `bind: terminal` tier: the terminal whose ticket allowed it (SPEC §10). */
  terminal?: Terminal;
}
