/**
 * What `guard aws-credential` asks STS for (SPEC §15): the role (its ARN,
 * checked before anything else), the session name CloudTrail shows, and how
 * long the temporary credentials live. Pure.
 *
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
 */
import { GuardError } from '../../errors.ts';
import type { Limits } from '../../policy/types.ts';
import { nextExpiry, type SessionClocks } from '../../session/decide.ts';
import { parseDuration } from '../../util/duration.ts';
import { escapeControl } from '../../util/text.ts';

/** arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME — IAM's characters for role paths and names. */
const ROLE_ARN = /^arn:aws(?:-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/** The role ARN of `--role-arn`, or a usage error (64) saying what one looks like. */
export function checkRoleArn(arn: string | undefined): string {
  if (arn === undefined || arn === '') throw new GuardError('usage', 'which role? guard aws-credential --role-arn arn:aws:iam::ACCOUNT:role/NAME');
  if (!ROLE_ARN.test(arn)) throw new GuardError('usage', `--role-arn must be an IAM role ARN like arn:aws:iam::111122223333:role/NAME, not "${escapeControl(arn)}"`);
  return arn;
}

/** STS's bounds for DurationSeconds: 15 minutes to 12 hours (a role's MaxSessionDuration may cap it lower). */
export const MIN_DURATION_S = 900;
export const MAX_DURATION_S = 43_200;
const DEFAULT_DURATION_S = 3_600;

/** `--duration` in seconds (default 1h), within STS's bounds. */
export function requestedDuration(text: string | undefined): number {
  if (text === undefined) return DEFAULT_DURATION_S;
  const ms = parseDuration(text);
  if (ms === undefined || ms % 1000 !== 0 || ms / 1000 < MIN_DURATION_S || ms / 1000 > MAX_DURATION_S) {
    throw new GuardError('usage', `--duration must be from 15m to 12h (STS's limits), e.g. 1h; not "${escapeControl(text)}"`);
  }
  return ms / 1000;
}

/**
 * DurationSeconds for a new credential: the requested duration, shortened to
 * when the session's fixed clocks (max_session, reauth_within) run out —
 * after them guard hands nothing out, so AWS need not honour the credential
 * longer either — but never below STS's 15 minutes. The idle clock is left
 * out: each call moves it, and a cached credential serves the next calls.
 */
export function stsDuration(requested: number, limits: Limits, session: SessionClocks, now: number): number {
  const fixed = nextExpiry({ max_session: limits.max_session, reauth_within: limits.reauth_within }, session, now);
  const until = fixed === undefined ? requested : Math.ceil(fixed.in / 1000);
  return Math.max(MIN_DURATION_S, Math.min(requested, until));
}

/** STS's RoleSessionName: 2–64 of [\w+=,.@-]. */
const SESSION_NAME_MAX = 64;

/**
 * RoleSessionName, so that CloudTrail shows who: the user's readable name
 * (preferred_username, email or name) with every other character made `-`,
 * else the subject the same way.
 */
export function roleSessionName(displayName: string | undefined, subject: string): string {
  for (const candidate of [displayName, subject]) {
    const name = (candidate ?? '').replace(/[^\w+=,.@-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, SESSION_NAME_MAX);
    if (name.length >= 2) return name;
    if (name.length === 1) return `guard-${name}`;
  }
  return 'guard';
}
