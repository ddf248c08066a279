/**
 * `guard policy status|pull|show|sign|keygen`: where the central policy came
 * from, its version (iat), signer, age and next check; fetch it now; print
 * it; and, for admins, sign one and make a signing key.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { warn, type Deps } from '../deps.ts';
import { GuardError } from '../errors.ts';
import { nextCheckAt } from '../policy/central/assess-policy.ts';
import { resolveCentralPolicy, type CentralPolicy } from '../policy/central/resolve-central.ts';
import { assertValid, loadConfig } from '../policy/load.ts';
import type { PolicySource } from '../policy/types.ts';
import { formatDuration, parseDuration } from '../util/duration.ts';
import { escapeControl, toJsonText } from '../util/text.ts';
import type { GlobalOptions } from './context.ts';
import { httpTimeout } from '../util/http-timeout.ts';
import { shellLine } from '../util/shell-quote.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const ago = (ms: number) => (ms >= 0 ? `${formatDuration(ms)} ago` : `in ${formatDuration(-ms)}`);

/** The policy source the local system or user layer names, if any (the central policy itself is not needed to find it). */
async function configuredSource(deps: Deps, options: GlobalOptions): Promise<PolicySource | undefined> {
  const loaded = await loadConfig({ paths: deps.paths, cwd: deps.cwd, explicitUserConfig: Boolean(options.config || deps.env.GUARD_CONFIG) });
  if (!loaded.config.policy) assertValid(loaded); // a broken file may be why no policy_url was found
  return loaded.config.policy;
}

async function requireSource(deps: Deps, options: GlobalOptions): Promise<PolicySource> {
  const source = await configuredSource(deps, options);
  if (!source) throw new GuardError('config', `no central policy is configured: set policy_url and policy_keys (or policy_jwks_url) in ${deps.paths.systemPolicy}`);
  return source;
}

function describe(central: CentralPolicy, now: number) {
  const { source, cache } = central;
  const copy = cache?.copy;
  const next = nextCheckAt(cache, source);
  return {
    source: source.url,
    keys: source.keys ? `pinned (${source.keys.length} in policy_keys)` : `JWKS ${source.jwks_url}`,
    current: central.health.ok,
    ...(central.health.reason ? { problem: central.health.reason } : {}),
    version: copy ? new Date(copy.iat * 1000).toISOString() : null,
    iat: copy?.iat ?? null,
    expires: copy ? new Date(copy.exp * 1000).toISOString() : null,
    signer: copy ? { kid: copy.kid ?? null, alg: copy.alg } : null,
    fetched_at: copy ? iso(copy.fetched_at) : null,
    age_ms: copy ? now - copy.fetched_at : null,
    last_check: cache?.checked_at !== undefined ? { at: iso(cache.checked_at), outcome: cache.outcome ?? null, problem: cache.problem ?? null } : null,
    next_check: next === undefined || next <= now ? 'due now (on the next guard command)' : iso(next),
    next_check_in_ms: next === undefined ? 0 : Math.max(0, next - now),
    refresh: formatDuration(source.refresh),
    max_stale: formatDuration(source.max_stale),
  };
}

function printReport(deps: Deps, report: ReturnType<typeof describe>, now: number): void {
  const lines = [
    `source:     ${report.source}`,
    `keys:       ${report.keys}`,
    `state:      ${report.current ? 'current' : `NOT current — ${report.problem}; privileged commands fail closed`}`,
  ];
  if (report.version) {
    lines.push(`version:    ${report.version} (iat ${report.iat})`);
    lines.push(`signer:     kid ${report.signer!.kid ?? '(none)'}, ${report.signer!.alg}`);
    lines.push(`age:        ${formatDuration(report.age_ms!)} (fetched or confirmed ${report.fetched_at}; max_stale ${report.max_stale})`);
    lines.push(`expires:    ${report.expires}`);
  } else lines.push('version:    none cached');
  if (report.last_check) lines.push(`last check: ${ago(now - Date.parse(report.last_check.at))}: ${report.last_check.outcome}${report.last_check.problem ? ` (${report.last_check.problem})` : ''}`);
  lines.push(`next check: ${report.next_check_in_ms > 0 ? `in ${formatDuration(report.next_check_in_ms)} (refresh ${report.refresh})` : report.next_check}`);
  deps.io.out(`${lines.map(escapeControl).join('\n')}\n`); // the policy server's words (kid, alg, problems)
}

/** `guard policy status [--json]`: the cached copy and its health, without touching the network. Exit 0 when current, 69 when not. */
export async function policyStatus(deps: Deps, options: GlobalOptions): Promise<number> {
  const policy = await configuredSource(deps, options);
  if (!policy) {
    if (options.json) deps.io.out(`${toJsonText({ configured: false })}\n`);
    else deps.io.out(`no central policy is configured (no policy_url in ${deps.paths.systemPolicy} or the user config)\n`);
    return 0;
  }
  const central = await resolveCentralPolicy(deps, policy, { network: false });
  const now = deps.now();
  const report = describe(central, now);
  if (options.json) deps.io.out(`${toJsonText({ configured: true, ...report })}\n`);
  else printReport(deps, report, now);
  return central.health.ok ? 0 : 69;
}


/** `guard policy pull [--json]`: asks the server now, whatever policy_refresh says. Exit 69 when it cannot be fetched or is rejected. */
export async function policyPull(deps: Deps, options: GlobalOptions): Promise<number> {
  const policy = await requireSource(deps, options);
  const central = await resolveCentralPolicy(deps, policy, { force: true, timeoutMs: httpTimeout(deps.env) * 1000 /* an explicit pull is as patient as a sign-in */ });
  const copy = central.cache?.copy;
  const version = copy ? `version ${new Date(copy.iat * 1000).toISOString()}` : undefined;
  const kept = version ? `the cached copy (${version}) stays in force` : 'no copy is in force, so privileged commands fail closed';
  const outcome = central.checked?.outcome;
  if (outcome === 'rejected') throw new GuardError('unavailable', `the central policy ${central.source.url} sent a document that was ${central.checked!.problem}; ${kept} — fix the published document`);
  if (outcome === 'failed') throw new GuardError('unavailable', `cannot fetch the central policy ${central.source.url}: ${central.checked!.problem}; ${kept} — check the network or the policy server`);
  if (outcome === 'skipped') throw new GuardError('unavailable', `another guard process is fetching the central policy ${central.source.url}; try again in a moment`);
  if (options.json) deps.io.out(`${toJsonText({ outcome, ...describe(central, deps.now()) })}\n`);
  else if (!deps.quiet) {
    const signer = copy ? `signed by kid ${escapeControl(copy.kid ?? '(none)')}, ${escapeControl(copy.alg)}` : '';
    deps.io.err(`guard: policy ${outcome === 'updated' ? 'updated to' : 'unchanged at'} ${version} (${signer}, expires ${new Date(copy!.exp * 1000).toISOString()})\n`);
  }
  return 0;
}

/** `guard policy show`: the verified policy in force, as JSON on stdout (no network). */
export async function policyShow(deps: Deps, options: GlobalOptions): Promise<number> {
  const policy = await requireSource(deps, options);
  const central = await resolveCentralPolicy(deps, policy, { network: false });
  for (const warning of [...central.warnings, ...(central.notCurrent ? [central.notCurrent] : [])]) warn(deps, warning);
  const copy = central.cache?.copy;
  if (!copy) throw new GuardError('unavailable', `no copy of the central policy ${central.source.url} is cached; run: guard policy pull`);
  deps.io.out(`${toJsonText(copy.payload)}\n`);
  return 0;
}

function readArgumentFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new GuardError('usage', `cannot read the ${what} ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}); check the path`);
  }
}

export interface SignCommandOptions {
  key: string;
  expires?: string;
}

/** `guard policy sign --key KEY.jwk [--expires 30d] FILE`: the compact JWS on stdout, ready to publish. */
export async function policySign(deps: Deps, file: string, options: SignCommandOptions): Promise<number> {
  const validity = parseDuration(options.expires ?? '30d');
  if (validity === undefined) throw new GuardError('usage', `bad --expires ${JSON.stringify(options.expires)} (use e.g. 12h, 7d, 30d)`);
  let key: unknown;
  try {
    key = JSON.parse(readArgumentFile(options.key, 'signing key'));
  } catch (error) {
    if (error instanceof GuardError) throw error;
    throw new GuardError('usage', `the signing key ${options.key} is not a JWK (JSON); make one with: ${shellLine(['guard', 'policy', 'keygen', options.key])}`);
  }
  if (!key || typeof key !== 'object' || Array.isArray(key)) throw new GuardError('usage', `the signing key ${options.key} is not a JWK object`);
  const text = readArgumentFile(file, 'policy file');
  const { signPolicy } = await import('../policy/central/sign-policy.ts');
  const jws = await signPolicy(text, file, key as Record<string, string>, { now: deps.now(), validity });
  deps.io.out(`${jws}\n`);
  return 0;
}

/** `guard policy keygen [--alg ES256] KEY.jwk`: writes the private JWK (0600, never over an existing file) and prints the public JWK Set. */
export async function policyKeygen(deps: Deps, file: string, options: { alg?: string }): Promise<number> {
  const { generateSigningKey } = await import('../policy/central/sign-policy.ts');
  const { privateJwk, jwks } = await generateSigningKey(options.alg);
  try {
    writeFileSync(file, `${JSON.stringify(privateJwk, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new GuardError(code === 'EEXIST' ? 'usage' : 'io', code === 'EEXIST' ? `${file} exists; not overwriting a key (choose another file name)` : `cannot write ${file} (${code ?? 'error'})`);
  }
  deps.io.out(`${toJsonText(jwks)}\n`);
  if (!deps.quiet) deps.io.err(`guard: wrote the private key to ${file} (keep it secret, e.g. as a CI secret); the public key set above goes into policy_keys or the policy_jwks_url document\n`);
  return 0;
}
