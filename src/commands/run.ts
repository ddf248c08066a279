/**
 * `guard run -- CMD…` and `guard <named command>`: decide, sign in if needed
 * and allowed, confirm if the tier asks (confirm-run.ts), then run the
 * command with its injected environment, passing its exit code through.
 */
import { warn, type Deps } from '../deps.ts';
import { GuardError } from '../errors.ts';
import { buildChildEnv } from '../exec/child-env.ts';
import { canRun } from '../setup/path-lookup.ts';
import { runChild, type ChildResult } from '../exec/spawn.ts';
import { redactArgv } from '../audit/event.ts';
import { escapeControl } from '../util/text.ts';
import { shellLine } from '../util/shell-quote.ts';
import { asksForHelp, findNamedCommand, namedInvocation, type Invocation, type Resolution } from '../policy/resolve.ts';
import { describeImplied } from '../policy/implied/implied-words.ts';
import { resolveWithImplied } from '../policy/implied/read-implied.ts';
import { expandTemplate, usesTokens } from '../policy/template.ts';
import type { Config } from '../policy/types.ts';
import { ensureSession, type ActiveSession, type SessionNeed } from '../session/ensure.ts';
import { sessionFields, stageActivity, type StagedState } from '../session/state.ts';
import { touchTicket } from '../session/tickets.ts';
import { terminalField } from '../session/bound.ts';
import { anyTierUsesReauth, assertPolicyAllows, loadContext, loginAllowed, loosestLimits, type GlobalOptions } from './context.ts';
import type { ConfirmSettings } from './confirm-run.ts';

export interface RunOptions extends GlobalOptions {
  tier?: string;
  /** true: --prompt, false: --no-prompt, undefined: decide from the TTY. */
  prompt?: boolean;
  yes?: boolean;
  browser?: boolean;
}

/** The words after `guard` name no command: main.ts then lets commander explain the usage. */
export class NotANamedCommand extends GuardError {}

/** `guard run -- CMD ARGS…` */
export async function runWrapped(deps: Deps, argv: string[], options: RunOptions): Promise<number> {
  if (argv.length === 0) throw new GuardError('usage', 'nothing to run: guard run [options] -- COMMAND [ARGS…]');
  const { config } = await loadContext(deps, options, { deferPolicyWarning: true });
  return runInvocation(deps, config, { invoked: argv, argv }, options);
}

/** `guard NAME ARGS…` for a named command from config. */
export async function runNamed(deps: Deps, args: string[], options: RunOptions): Promise<number> {
  const { config, loaded } = await loadContext(deps, options, { deferPolicyWarning: true });
  const found = findNamedCommand(config, args);
  if (!found) {
    const untrusted = loaded.untrusted && findNamedCommand({ ...config, commands: new Map(loaded.untrusted.commands.map((c) => [c.name, c])) }, args);
    if (untrusted) {
      throw new GuardError('config', `"${untrusted.command.name}" is defined only in ${loaded.untrusted!.file}, which is not trusted; review it, then run: ${shellLine(['guard', 'trust', loaded.untrusted!.file])}`);
    }
    throw new NotANamedCommand('usage', `unknown command "${escapeControl(args[0] ?? '')}"; see guard --help`);
  }
  // `guard deploy --help` shows the command's help and runs nothing (`guard deploy -- --help` passes it on).
  if (asksForHelp(found.rest)) {
    deps.io.out((await import('./named-help.ts')).namedCommandHelp(config, found.command));
    return 0;
  }
  return runInvocation(deps, config, namedInvocation(config, args, deps.env)!, options);
}

/** What a caller of `authorize` adds to the session check: which token it hands out, and how to word the refusals. */
export interface Caller extends Pick<SessionNeed, 'needsIdToken' | 'inlineHint' | 'subject'> {
  /** For a `confirm` tier: the question, and what to do when no terminal can answer. */
  confirm: ConfirmSettings;
}

/**
 * The checks `run`, named commands, `token` and the credential plugins
 * share (SPEC §3, §14): the central policy; for a `confirm` tier, that a
 * terminal can answer (before any sign-in); the session (refresh or sign-in
 * as allowed); then the question, after which the session is decided again.
 */
export async function authorize(deps: Deps, config: Config, resolution: Resolution, options: RunOptions, needTokens: boolean, caller: Caller): Promise<ActiveSession> {
  assertPolicyAllows(deps, config, resolution);
  // The question's code loads only for a confirm tier (never on the hot path).
  const confirming = resolution.limits.confirm === true && !options.yes ? await import('./confirm-run.ts') : undefined;
  confirming?.assertCanConfirm(deps, resolution, caller.confirm);
  const { confirm: _, ...sessionCaller } = caller;
  const need: SessionNeed = {
    profile: resolution.profile,
    limits: resolution.limits,
    loosest: loosestLimits(config),
    tier: resolution.tier,
    rules: resolution.rules.map((rule) => rule.name),
    command: resolution.label,
    allowLogin: loginAllowed(deps, options.prompt),
    needTokens,
    requireAuthTime: anyTierUsesReauth(config),
    claims: config.claims,
    noBrowser: options.browser === false,
    ...sessionCaller,
  };
  const session = await ensureSession(deps, need);
  return confirming ? confirming.confirmThenDecideAgain(deps, resolution, caller.confirm, session, () => ensureSession(deps, need)) : session;
}

async function runInvocation(deps: Deps, config: Config, typed: Invocation, options: RunOptions): Promise<number> {
  // A mistyped program is said before any sign-in, step-up or question for it (127, like a shell).
  if (!canRun(typed.argv[0]!, deps.env, deps.cwd)) throw new GuardError('not_found', `command not found: ${escapeControl(typed.argv[0]!)}`);
  const { implied, resolution } = await resolveWithImplied(deps, config, typed, { profile: options.profile, envProfile: deps.env.GUARD_PROFILE, tier: options.tier });
  for (const word of implied) if (word.value === undefined) warn(deps, `note: implied ${escapeControl(describeImplied(word))}`);
  const invocation = { ...typed, implied };
  const shown = invocation.invoked.join(' ');
  const subject = { argv: invocation.argv, implied, shown, ...(typed.command ? { named: typed.invoked } : {}) };
  const session = await authorize(deps, config, resolution, options, usesTokens(resolution.env), {
    subject,
    confirm: {
      question: `Run "${shown}" (tier ${resolution.tier}, profile ${resolution.profile.name})?`,
      instead: `to confirm in a script: ${shellLine(typed.command ? ['guard', '--yes', resolution.label] : ['guard', 'run', '--yes', '--', resolution.label])} …, or give it a tier without confirm`,
      prompt: options.prompt,
    },
  });
  const ruleNames = resolution.rules.map((rule) => rule.name);
  const inject = await injectedEnv(deps, resolution, session);
  const env = buildChildEnv(deps.env, resolution.profile.name, inject);

  const fields = {
    profile: resolution.profile.name,
    tier: resolution.tier,
    rules: ruleNames,
    ...(implied.length > 0 ? { implied: implied.map(describeImplied) } : {}),
    command: resolution.label,
    ...sessionFields(session.state),
    ...terminalField({ bound: resolution.limits.bind === 'terminal', terminal: session.terminal }),
    ...(config.audit.argv ? { argv: redactArgv(invocation.argv, config.audit.secret_patterns ?? [], await heldTokens(deps, resolution, session)) } : {}),
  };
  const started = deps.now();
  if (session.terminal) touchTicket(deps.paths.stateDir, resolution.profile.name, session.terminal, session.state, started);
  // The activity is written before the command starts (a full disk stops it, exit 74) and renamed
  // into place once it has started, so the rename overlaps with the command's own start-up.
  const activity = stageActivity(deps.paths.stateDir, resolution.profile.name, session.state.session_id, started);
  let result: ChildResult;
  try {
    deps.audit('allowed', fields);
    result = await runChild(invocation.argv, env, () => commitActivity(deps, activity));
  } catch (error) {
    activity.abandon();
    throw error;
  }
  deps.audit('command_exit', { ...fields, exit_code: result.code, ...(result.signal ? { signal: result.signal } : {}), duration_ms: deps.now() - started });
  return result.code;
}

/** The command is running: a failed rename of its activity is worth a line, not its exit code. */
function commitActivity(deps: Deps, activity: StagedState): void {
  try {
    activity.commit();
  } catch (error) {
    const code = (error as { cause?: NodeJS.ErrnoException }).cause?.code ?? 'error';
    warn(deps, `this command's activity was not recorded (${code}); an idle limit may ask you to sign in sooner`);
  }
}

/** The tokens guard holds for this session, to mask in a logged argv (only read when `audit.argv` is on). */
async function heldTokens(deps: Deps, resolution: Resolution, session: ActiveSession): Promise<string[]> {
  const tokens = session.tokens ?? (await (await deps.keychain()).get(resolution.profile.name, resolution.profile.store).catch(() => undefined));
  return tokens ? [tokens.access_token, tokens.refresh_token, tokens.id_token].filter((t): t is string => typeof t === 'string') : [];
}

async function injectedEnv(deps: Deps, resolution: Resolution, session: ActiveSession): Promise<Record<string, string>> {
  const inject: Record<string, string> = {};
  if (Object.keys(resolution.env).length === 0) return inject;
  let tokens = session.tokens;
  if (usesTokens(resolution.env) && (resolution.narrowing.scope || resolution.narrowing.resource)) {
    const { narrowedTokens } = await import('../session/narrow.ts');
    tokens = await narrowedTokens(deps, resolution.profile, resolution.narrowing, session);
  }
  const values = { args: [], env: deps.env, tokens: tokens && { access_token: tokens.access_token, id_token: tokens.id_token } };
  for (const [name, template] of Object.entries(resolution.env)) inject[name] = expandTemplate(template, values);
  return inject;
}
