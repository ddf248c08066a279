/**
 * `guard init [--issuer URL --client-id ID] [--profile P] [--yes] [--force]`:
 * writes a first user config (SPEC §12). It checks the IdP's discovery
 * document first (issuer, device grant, refresh tokens, auth_time,
 * revocation, CIBA) and writes nothing when the IdP cannot serve guard. At a
 * terminal it asks (`--yes` takes every default); in scripts the flags answer.
 * An existing config is replaced only when the user says so (`--force`, or
 * yes at the prompt), and then kept as a backup.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Deps } from '../deps.ts';
import { escapeControl, tilde } from '../util/text.ts';
import { GuardError, isGuardError } from '../errors.ts';
import { writeFileAtomic } from '../files/atomic-write.ts';
import { isAllowedIssuer, isAwsRegion } from '../policy/names.ts';
import { checkRoleArn } from '../integrations/aws/role.ts';
import { mergeLayers } from '../policy/merge.ts';
import { parseLayer } from '../policy/parse-layer.ts';
import { formatIssue } from '../policy/load.ts';
import { chooseShell, SHELLS, type ShellName } from '../shell/shells.ts';
import { assessDiscovery, blockingFinding, fetchDiscovery, issuerAsNamed, offersOfflineAccess } from '../setup/discovery.ts';
import { probeStore, STORE_NAMES } from '../keychain/probe.ts';
import type { StoreKind } from '../keychain/keychain.ts';
import { isPlainName, KNOWN_TOOLS, renderConfig, type KnownTool } from '../setup/propose-config.ts';
import { findOnPath } from '../setup/path-lookup.ts';
import { proposeTargetRules } from '../setup/target-proposals.ts';
import { prodKubeTargets, readKubeconfig } from '../setup/kubeconfig-read.ts';
import { guardWord, rcFile } from '../setup/shell-rc.ts';
import { clientGoHome } from '../policy/implied/home-dir.ts';
import { shellLine, shellPath } from '../util/shell-quote.ts';
import { createStyle, colorEnabled, type Style } from '../ui/style.ts';
import { statusMark } from '../ui/marks.ts';
import type { GlobalOptions } from './context.ts';

export interface InitOptions extends GlobalOptions {
  issuer?: string;
  clientId?: string;
  yes?: boolean;
  force?: boolean;
  browser?: boolean;
  /** With aws on PATH: the role `guard aws-config` points an AWS profile at (SPEC §15). */
  awsRoleArn?: string;
  awsProfile?: string;
  awsRegion?: string;
  /** The launcher that runs this guard (util/runtime.ts selfPath()), for the credential_process line. */
  self?: string;
}

const DEFAULT_CLIENT_ID = 'guard-cli';

const issuerProblem = (value: string) => (isAllowedIssuer(value) ? undefined : 'an https:// URL (plain http only on this machine: 127.0.0.1 or localhost)');
const profileProblem = (value: string) => (isPlainName(value) ? undefined : 'letters, digits, ".", "_" and "-", starting with a letter or digit');

export async function init(deps: Deps, options: InitOptions): Promise<number> {
  const interactive = !options.yes && deps.io.stdinIsTTY && deps.io.stderrIsTTY;
  if (!interactive) {
    // Without a terminal the flags are the answers (SPEC §12: --yes is optional there; an existing config still needs --force).
    const missing = [options.issuer ? '' : '--issuer URL', options.clientId ? '' : '--client-id ID'].filter(Boolean);
    if (missing.length > 0) throw new GuardError('usage', `guard init needs a terminal to ask, or these flags: ${missing.join(' ')} (e.g. guard init --issuer https://idp.example.com --client-id guard-cli)`);
  }
  const s = createStyle(colorEnabled(deps.env, deps.io.stderrIsTTY));
  const say = (line = '') => deps.io.err(`${line}\n`);
  const ask = interactive ? await import('../ui/init-prompts.ts') : undefined;
  const target = deps.paths.userConfig;
  const shown = tilde(target, deps.env.HOME);

  // 1. Never overwrite without asking: decided before any question about the IdP.
  const replacing = existsSync(target);
  if (replacing && !options.force) {
    if (!ask) throw new GuardError('config', `${shown} already exists; nothing was written (check it with guard doctor, or pass --force to replace it; the old file is kept as a backup)`);
    if (!(await ask.askYesNo(`${shown} already exists. Replace it? (the old file is kept as a backup)`, false))) {
      throw new GuardError('cancelled', `kept ${shown}; nothing was written`);
    }
  }

  // 2. The IdP and the client.
  const typedIssuer = options.issuer ?? (await ask!.askText('Issuer URL of your identity provider (OIDC discovery base):', { validate: issuerProblem }));
  if (issuerProblem(typedIssuer)) throw new GuardError('usage', `--issuer must be ${issuerProblem(typedIssuer)}: ${escapeControl(typedIssuer)}`);
  const clientId = options.clientId ?? (await ask!.askText('Client ID (a public client with the device grant):', { default: DEFAULT_CLIENT_ID }));
  if (!clientId) throw new GuardError('usage', '--client-id must not be empty');
  const profile = options.profile ?? deps.env.GUARD_PROFILE ?? 'default';
  if (profileProblem(profile)) throw new GuardError('usage', `--profile must be ${profileProblem(profile)}: ${escapeControl(profile)}`);

  say(`Checking ${escapeControl(typedIssuer)} …`);
  const { metadata } = await fetchDiscovery(typedIssuer, deps.env, deps.now);
  // A trailing / typed or left out: the discovery document says which the issuer is.
  const named = issuerAsNamed(typedIssuer, metadata);
  const issuer = named ?? typedIssuer;
  if (named) say(`  ${statusMark('info', s)} using the issuer exactly as the discovery document names it: ${escapeControl(named)} (you typed ${escapeControl(typedIssuer)})`);
  const findings = assessDiscovery(issuer, metadata);
  for (const finding of findings) say(`  ${statusMark(finding.status, s)} ${finding.text}`);
  say(`  ${statusMark('unknown', s)} client_id ${escapeControl(clientId)}: cannot be verified without signing in; the first sign-in shows whether the IdP knows it`);
  const blocking = blockingFinding(issuer, findings);
  if (blocking) throw new GuardError('idp', `${blocking.message}; nothing was written`);
  const store = await chooseStore(deps, (line) => say(`  ${line}`), s);

  // 3. The proposal.
  const found = KNOWN_TOOLS.filter((tool) => findOnPath(tool, deps.env));
  say('');
  say(found.length > 0 ? `Found on PATH: ${found.join(', ')}` : `None of ${KNOWN_TOOLS.join(', ')} is on PATH: no rules or aliases are proposed`);
  const tools: KnownTool[] = ask && found.length > 0 ? await ask.askSome('Guard these tools (rules for their production use, and shell aliases)?', found) : found;
  const aws = await awsAnswers(deps, options, found.includes('aws'), ask);
  const targets = proposeTargetRules(tools, deps.env, deps.env.HOME ?? '', deps.cwd);
  const kubeTargets = tools.includes('kubectl') ? prodKubeTargets(deps.env, clientGoHome(deps.env)) : [];
  const text = renderConfig({ profile, issuer, clientId, refreshTokens: offersOfflineAccess(metadata), store, tools, date: new Date(deps.now()), targets, kubeTargets, ...(aws ? { awsRegion: aws.region } : {}) });
  assertWritable(text, target);
  say('');
  say('Proposed configuration:');
  say(`  profile ${profile}: ${escapeControl(issuer)}, client ${escapeControl(clientId)}${store === 'keyutils' ? ', tokens in the kernel keyring (store: keyutils)' : ''}`);
  say('  tier privileged: 15m idle, 8h session, password again after 10m, confirm');
  say('  tier standard:   45m idle, 12h session (the default)');
  if (tools.length > 0) say(`  rules and aliases for: ${tools.join(', ')}`);
  // Rules on the cluster's server hold whatever context or kubeconfig reaches it, and decide kube-credential too.
  for (const server of new Set(kubeTargets.map((t) => t.server))) say(`  privileged: the cluster at ${escapeControl(server)} (${escapeControl(kubeTargets.filter((t) => t.server === server).map((t) => t.context).join(', '))}), by its server`);
  for (const target of targets) say(`  rule on a production target: ${escapeControl(target.match)}`);
  if (aws) say(`  AWS profile ${escapeControl(aws.awsProfile)}: credentials from guard aws-credential for ${escapeControl(aws.roleArn)} (STS in ${aws.region})`);
  if (ask && !(await ask.askYesNo(`Write it to ${shown}?`, true))) throw new GuardError('cancelled', 'nothing was written');

  // 4. Write, keeping what was there.
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  let backup: string | undefined;
  if (replacing) {
    backup = `${target}.bak-${new Date(deps.now()).toISOString().replace(/[:.]/g, '-')}`;
    copyFileSync(target, backup);
  }
  writeFileAtomic(target, text);
  say(`${s.green('✓')} wrote ${shown}${backup ? ` (the old one is kept as ${tilde(backup, deps.env.HOME)})` : ''}`);

  // 5. Sign in at once, and what else to set up.
  let signedIn = false;
  if (ask && (await ask.askYesNo('Sign in now?', true))) {
    const { login } = await import('./login.ts');
    await login(deps, { ...options, profile });
    signedIn = true;
  }
  if (aws) {
    const { awsConfig } = await import('./aws-config.ts');
    // What it changed goes to stderr with the rest of init's report.
    await awsConfig({ ...deps, io: { ...deps.io, out: deps.io.err } }, { ...options, profile: profile === 'default' ? undefined : profile, awsProfile: aws.awsProfile, roleArn: aws.roleArn });
  }
  const next: Array<[string, string]> = [];
  if (!signedIn) next.push([shellLine(['guard', 'login', ...(profile === 'default' ? [] : ['--profile', profile])]), 'sign in']);
  if (tools.length > 0) {
    const shell = userShell(deps.env);
    next.push([`${guardWord(options.self)} shell-init --rc-line ${shell} >> ${shellPath(rcFile(shell, deps.env, deps.env.HOME ?? ''), deps.env.HOME)}`, `route ${tools.join(', ')} through guard (new shells start no Node)`]);
  }
  for (const context of readKubeconfig(deps.env, clientGoHome(deps.env)).contexts) {
    const target = kubeTargets.some((t) => t.context === context.name);
    next.push([shellLine(['guard', 'kubeconfig', '--context', context.name]), target ? "kubectl, k9s, helm… get their token from guard, at its cluster's rule's tier" : 'kubectl, k9s, helm… get their token from guard']);
  }
  if (!aws && found.includes('aws')) next.push(['guard aws-config --aws-profile NAME --role-arn ARN', 'the aws CLI gets credentials from guard (set aws_region in the profile)']);
  next.push(['guard doctor', 'check the whole set-up']);
  const width = Math.max(...next.map(([command]) => command.length)) + 2;
  say('');
  say('Next:');
  for (const [command, why] of next) say(`  ${command.padEnd(width)}${s.dim(`# ${why}`)}`);
  return 0;
}

/**
 * With aws on PATH, the role the aws CLI should get credentials for (SPEC
 * §15): asked at a terminal (empty skips), or `--aws-role-arn` in scripts;
 * with the region whose STS guard calls and the AWS profile to point at it.
 */
async function awsAnswers(deps: Deps, options: InitOptions, found: boolean, ask: typeof import('../ui/init-prompts.ts') | undefined): Promise<{ roleArn: string; region: string; awsProfile: string } | undefined> {
  const arnProblem = (value: string) => {
    try {
      checkRoleArn(value);
      return undefined;
    } catch {
      return 'an IAM role ARN like arn:aws:iam::111122223333:role/NAME';
    }
  };
  let roleArn = options.awsRoleArn;
  if (roleArn === undefined && ask && found) roleArn = (await ask.askText('IAM role the aws CLI should get credentials for through guard (empty: skip):', { validate: (value) => (value === '' ? undefined : arnProblem(value)) })) || undefined;
  if (roleArn === undefined) return undefined;
  checkRoleArn(roleArn);
  const suggested = deps.env.AWS_REGION || deps.env.AWS_DEFAULT_REGION || 'us-east-1';
  const region = options.awsRegion ?? (ask ? await ask.askText('AWS region whose STS guard calls:', { default: suggested, validate: (value) => (isAwsRegion(value) ? undefined : 'a region name like us-east-1') }) : suggested);
  if (!isAwsRegion(region)) throw new GuardError('usage', `--aws-region must be a region name like us-east-1, not "${escapeControl(region)}"`);
  return { roleArn, region, awsProfile: options.awsProfile ?? 'default' };
}

/**
 * Where the tokens will live: the Secret Service when it works now (a test
 * entry written and removed, as doctor does); else, when the kernel keyring
 * works, that store, proposed explicitly (SPEC §6: never a silent fallback),
 * as the demo does on a headless box; else the Secret Service with a warning,
 * since the first sign-in will fail (69) until it runs.
 */
async function chooseStore(deps: Deps, say: (line: string) => void, s: Style): Promise<StoreKind> {
  const keychain = await deps.keychain();
  let problem: string;
  try {
    await probeStore(keychain, 'secret-service');
    say(`${statusMark('pass', s)} keychain: ${STORE_NAMES['secret-service']} reachable and unlocked`);
    return 'secret-service';
  } catch (error) {
    if (!isGuardError(error, 'keychain')) throw error;
    problem = error.message.split('; ')[0]!;
  }
  try {
    await probeStore(keychain, 'keyutils');
  } catch {
    say(`${statusMark('fail', s)} keychain: ${problem}, and the kernel keyring does not work either: guard login will fail (69) until the Secret Service runs and is unlocked (see guard doctor)`);
    return 'secret-service';
  }
  say(`${statusMark('warn', s)} keychain: ${problem}; the ${STORE_NAMES.keyutils} works, so the config keeps the tokens there (store: keyutils: in memory, gone at logout or reboot)`);
  return 'keyutils';
}

/** The config guard is about to write must pass `guard config check`; anything else is a bug in the proposal. */
function assertWritable(text: string, target: string): void {
  const parsed = parseLayer(text, target, 'user');
  const issues = [...parsed.issues, ...(parsed.issues.length === 0 ? mergeLayers([parsed.layer]).issues : [])];
  if (issues.length > 0) throw new Error(`the proposed configuration is invalid (${formatIssue(issues[0]!)}); please report this`);
}

function userShell(env: NodeJS.ProcessEnv): ShellName {
  try {
    return chooseShell(undefined, env, 'guard shell-init SHELL');
  } catch {
    return SHELLS[0];
  }
}
