/**
 * The full commander program: every command with its help and examples.
 * Loaded only when the fast path in main.ts cannot answer.
 */
import { Argument, Command, CommanderError, Option } from 'commander';
import { SHELLS } from './shell/shells.ts';
import { systemDeps, type Deps } from './deps.ts';
import { reportError } from './report-error.ts';
import { escapeControl } from './audit/event.ts';
import { VERSION } from './version.ts';
import type { GlobalOptions } from './commands/context.ts';
import { DRAIN_OPTION } from './audit/spool.ts';

type Action = (deps: Deps, globals: GlobalOptions) => Promise<number>;

function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}

export function buildProgram(run: (action: Action) => Promise<void>): Command {
  const program = new Command('guard')
    .description('Session-timeout enforcement in front of privileged commands: OIDC device-flow login, tokens in the OS keychain, idle and age limits per tier.')
    .version(VERSION, '--version', 'print the version')
    .option('--config <file>', 'user config file (default: $GUARD_CONFIG or ~/.config/guard/config.yaml)')
    .option('--profile <name>', 'profile to use (default: $GUARD_PROFILE, default_profile, "default")')
    .option('-v, --verbose', 'explain more on errors')
    .option('-q, --quiet', 'only errors on stderr')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    .addHelpText('after', `${examples(['guard login', 'guard run -- kubectl get pods --context=prod', 'guard deploy prod', 'guard status --json', 'guard explain -- psql prod-db', 'eval "$(guard shell-init bash)"   # route kubectl, psql… through guard'])}
Run guard alone for your session at a glance. Data (--json, tokens) goes to
stdout, messages to stderr; colour follows NO_COLOR / FORCE_COLOR.
Exit codes: 64 usage, 69 identity provider or keychain unavailable,
77 sign-in needed or refused, 78 configuration, 130 cancelled; otherwise the
wrapped command's own code.
`);
  // Set before any subcommand is added: commander copies these settings into each one.
  program.exitOverride();
  program.configureOutput({
    writeOut: (text) => process.stdout.write(text),
    writeErr: (text) => process.stderr.write(text),
    // One line, like every guard error (SPEC §5), with the next step.
    outputError: (text, write) => write(`guard: ${text.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')} (see guard --help)\n`),
  });

  program
    .command('login')
    .description('sign in with a device-flow login (always, with or without a TTY)')
    .option('--step-up', 'ask the identity provider to re-authenticate you')
    .option('--no-browser', 'never open a browser; just print the URL and code')
    .option('--json', 'print the session as JSON on stdout')
    .addHelpText('after', examples(['guard login', 'guard login --profile staging --no-browser']))
    .action((opts) => run(async (deps, g) => (await import('./commands/login.ts')).login(deps, { ...g, ...opts })));

  program
    .command('logout')
    .description('revoke the refresh token at the IdP, delete the keychain entry and the session')
    .option('--all', 'every configured profile')
    .addHelpText('after', examples(['guard logout', 'guard logout --all']))
    .action((opts) => run(async (deps, g) => (await import('./commands/logout.ts')).logout(deps, { ...g, ...opts })));

  program
    .command('status')
    .description('who is signed in, session age, idle time and what each tier decides now (exit 77 without a session)')
    .option('--json', 'machine-readable output on stdout')
    .addHelpText('after', examples(['guard status', 'guard status --json | jq .tiers']))
    .action((opts) => run(async (deps, g) => (await import('./commands/status.ts')).status(deps, { ...g, ...opts })));

  program
    .command('run')
    .description('decide, sign in if needed and allowed, then run COMMAND')
    .argument('<command...>', 'the command and its arguments (after --)')
    .option('--tier <tier>', 'apply this tier too (can only tighten)')
    .option('--prompt', 'allow an inline device-flow login even without a TTY')
    .option('--no-prompt', 'never start a login inline: exit 77 instead')
    .option('-y, --yes', 'answer confirmation prompts with yes')
    .option('--no-browser', 'never open a browser')
    .addHelpText('after', examples(['guard run -- kubectl get pods --context=prod', 'guard run --no-prompt -- terraform apply', 'guard run --tier privileged -- ./release.sh']))
    .action((command: string[], opts) => run(async (deps, g) => (await import('./commands/run.ts')).runWrapped(deps, command, { ...g, ...opts })));

  program
    .command('explain')
    .description('which rules match COMMAND, the effective tier and limits, and what would happen now; runs nothing')
    .argument('<command...>', 'the command and its arguments (after --), or a named command')
    .option('--tier <tier>', 'apply this tier too')
    .option('--json', 'machine-readable output on stdout')
    .addHelpText('after', examples(['guard explain -- kubectl delete pod x --context=prod-eu', 'guard explain deploy prod --json']))
    .action((command: string[], opts) => run(async (deps, g) => (await import('./commands/explain.ts')).explain(deps, command, { ...g, ...opts })));

  program
    .command('token')
    .description('print a valid access token on stdout (same checks as run), for $(guard token)')
    .option('--tier <tier>', 'check against this tier')
    .option('--prompt', 'allow an inline device-flow login even without a TTY')
    .option('--no-prompt', 'never start a login inline: exit 77 instead')
    .option('-y, --yes', 'answer a confirm tier\'s question with yes')
    .addHelpText('after', examples(['curl -H "Authorization: Bearer $(guard token)" https://api.example.com/me']))
    .action((opts) => run(async (deps, g) => (await import('./commands/token.ts')).token(deps, { ...g, ...opts })));

  program
    .command('touch')
    .description('mark activity now, like sudo -v (needs a live session)')
    .addHelpText('after', examples(['guard touch', 'guard touch && make deploy   # start a long job with a fresh idle clock']))
    .action(() => run(async (deps, g) => (await import('./commands/touch.ts')).touch(deps, g)));

  program
    .command('lock')
    .description('end the session now, like sudo -k: the next guarded command needs a login')
    .addHelpText('after', examples(['guard lock', 'guard lock --profile staging']))
    .action(() => run(async (deps, g) => (await import('./commands/logout.ts')).logout(deps, g, 'lock')));

  const config = program
    .command('config')
    .description('configuration tools')
    .addHelpText('after', examples(['guard config check', 'guard config check ./.guard.yaml --json']));
  config
    .command('check')
    .description('validate every layer (or FILE), listing each problem as file:line:column; exit 0 or 78')
    .argument('[file]', 'one file to check')
    .option('--json', 'machine-readable output on stdout')
    .addHelpText('after', examples(['guard config check', 'guard config check ./.guard.yaml --json']))
    .action((file: string | undefined, opts) => run(async (deps, g) => (await import('./commands/config-check.ts')).configCheck(deps, file, { ...g, ...opts })));

  program
    .command('trust')
    .description("trust a project .guard.yaml (its path and content; any edit un-trusts it), like direnv allow")
    .argument('[file]', 'the file (default: the nearest .guard.yaml)')
    .option('--revoke', 'stop trusting it')
    .addHelpText('after', examples(['guard trust', 'guard trust ../.guard.yaml', 'guard trust --revoke']))
    .action((file: string | undefined, opts) => run(async (deps) => (await import('./commands/trust.ts')).trust(deps, file, opts)));

  program
    .command('shell-init')
    .description('print shell functions that run each configured alias (kubectl, psql, …) through guard run; eval them in your shell rc file')
    .addArgument(new Argument('[shell]', 'bash, zsh or fish (default: from $SHELL)').choices(SHELLS))
    .option('--uninstall', 'print the commands that remove the functions again')
    .addHelpText(
      'after',
      `${examples(['eval "$(guard shell-init bash)"        # in ~/.bashrc', 'eval "$(guard shell-init zsh)"         # in ~/.zshrc', 'guard shell-init fish | source         # in ~/.config/fish/config.fish', 'eval "$(guard shell-init --uninstall bash)"'])}
The functions come from the config's aliases (e.g. aliases: [kubectl, psql]).
Each one finds the real program on PATH, so it never calls itself, and
returns the program's exit code. Without a terminal (scripts, CI) guard
never starts a login: it exits 77 when a sign-in is needed.
`,
    )
    .action((shell: string | undefined, opts) =>
      run(async (deps, g) => (await import('./commands/shell-init.ts')).shellInit(deps, shell, { ...g, ...opts, self: process.argv[1] })),
    );

  program
    .command('completion')
    .description('print a completion script for bash, zsh or fish (also shipped in completions/)')
    .addArgument(new Argument('[shell]', 'bash, zsh or fish (default: from $SHELL)').choices(SHELLS))
    .addOption(new Option('--list <kind>', 'words from the config for the scripts: profiles, tiers, commands').hideHelp())
    .addOption(new Option('--after <words>', 'with --list commands: the named-command words typed so far').hideHelp())
    .addHelpText(
      'after',
      `${examples(['source <(guard completion bash)         # in ~/.bashrc', 'source <(guard completion zsh)          # in ~/.zshrc, after compinit', 'guard completion fish > ~/.config/fish/completions/guard.fish'])}
Profiles, tiers and named commands are read from the config each time you
press TAB, so the scripts never need regenerating when the config changes.
`,
    )
    .action((shell: string | undefined, opts) => run(async (deps, g) => (await import('./commands/completion.ts')).completion(deps, shell, { ...g, ...opts, program })));

  program
    .command('report')
    .description('usage analysis of the audit log: activity per tier and profile, idle gaps, prompts per working day, and idle limits that keep re-logins under a target (never looser than policy)')
    .option('--since <duration>', 'how far back to look', '30d')
    .option('--tier <tier>', 'only this tier')
    .option('--target <n>', 'acceptable idle re-logins per working day', '3')
    .option('--format <format>', 'text, json or csv', 'text')
    .option('--json', 'same as --format json (the shape is documented in the README)')
    .addOption(new Option(DRAIN_OPTION, 'send the OTLP spool now (guard runs this itself, in the background)').hideHelp())
    .addHelpText('after', examples(['guard report', 'guard report --since 7d --tier privileged', 'guard report --json | jq .suggestions', 'guard report --format csv > guard-usage.csv']))
    .action((opts) => run(async (deps, g) => (await import('./commands/report.ts')).report(deps, { ...g, ...opts })));

  const policy = program
    .command('policy')
    .description("the organisation's central signed policy (policy_url): where it came from, its version and age; fetch now; sign one")
    .addHelpText('after', examples(['guard policy status', 'guard policy pull', 'guard policy sign --key policy-key.jwk policy.yaml > policy.jws']));
  policy
    .command('status')
    .description('source, version (iat), signer, age and next check of the cached policy; no network (exit 0 when current, 69 when not)')
    .option('--json', 'machine-readable output on stdout')
    .addHelpText('after', examples(['guard policy status', 'guard policy status --json | jq .age_ms']))
    .action((opts) => run(async (deps, g) => (await import('./commands/policy.ts')).policyStatus(deps, { ...g, ...opts })));
  policy
    .command('pull')
    .description('fetch the policy now, whatever policy_refresh says (exit 69 when it cannot be fetched or is rejected)')
    .option('--json', 'machine-readable output on stdout')
    .addHelpText('after', examples(['guard policy pull']))
    .action((opts) => run(async (deps, g) => (await import('./commands/policy.ts')).policyPull(deps, { ...g, ...opts })));
  policy
    .command('show')
    .description('print the verified policy in force (its JSON payload) on stdout; no network')
    .addHelpText('after', examples(['guard policy show | jq .tiers']))
    .action(() => run(async (deps, g) => (await import('./commands/policy.ts')).policyShow(deps, g)));
  policy
    .command('sign')
    .description('for admins: sign a system-layer policy (YAML or JSON) as a compact JWS on stdout, with iat = now and exp = now + --expires')
    .argument('<file>', 'the policy file (same schema as the system policy)')
    .requiredOption('--key <file>', 'the private signing key, a JWK (see guard policy keygen)')
    .option('--expires <duration>', 'how long the signed document stays valid', '30d')
    .addHelpText('after', examples(['guard policy sign --key policy-key.jwk policy.yaml > policy.jws', 'guard policy sign --key "$KEY_FILE" --expires 7d policy.yaml > public/policy.jws']))
    .action((file: string, opts) => run(async (deps) => (await import('./commands/policy.ts')).policySign(deps, file, opts)));
  policy
    .command('keygen')
    .description('for admins: write a new private signing key (JWK, mode 0600) to FILE and print its public JWK Set')
    .argument('<file>', 'where to write the private key (never overwritten)')
    .option('--alg <alg>', 'signature algorithm', 'ES256')
    .addHelpText('after', examples(['guard policy keygen policy-key.jwk > policy-jwks.json']))
    .action((file: string, opts) => run(async (deps) => (await import('./commands/policy.ts')).policyKeygen(deps, file, opts)));

  addCredentialCommands(program, run);
  return program;
}

/** SPEC §9: credentials for tools that never pass through guard (kubectl and its kin, git). */
function addCredentialCommands(program: Command, run: (action: Action) => Promise<void>): void {
  program
    .command('kube-credential')
    .description('client-go exec credential plugin: after run\'s decision for "kube-credential SERVER", print an ExecCredential (kubectl runs this; see guard kubeconfig)')
    .option('--tier <tier>', 'apply this tier too (can only tighten)')
    .addHelpText('after', `${examples(['guard kubeconfig --context prod --tier privileged   # writes the exec user that runs this'])}
Reads KUBERNETES_EXEC_INFO (client.authentication.k8s.io/v1 or v1beta1) and
answers in the same apiVersion on stdout. Hands out the ID token (or the
access token with the profile's kube_token: access_token). Signs in only when
the client runs it interactively at a terminal; otherwise exit 77.
`)
    .action((opts) => run(async (deps, g) => (await import('./commands/kube-credential.ts')).kubeCredential(deps, { ...g, ...opts })));

  program
    .command('kubeconfig')
    .description("point a kubeconfig context's user at guard kube-credential (keeps a backup; --undo restores it)")
    .requiredOption('--context <name>', 'the kubeconfig context')
    .option('--tier <tier>', 'tier for this context (passed to guard kube-credential)')
    .option('--undo', "restore the context's user from the backup")
    .addHelpText('after', examples(['guard kubeconfig --context prod --tier privileged', 'KUBECONFIG=~/.kube/work guard kubeconfig --context staging', 'guard kubeconfig --context prod --undo']))
    .action((opts) => run(async (deps, g) => (await import('./commands/kubeconfig.ts')).kubeconfig(deps, { ...g, ...opts, self: process.argv[1] })));

  program
    .command('git-credential')
    .description('git credential helper: on get, the access token as the password after run\'s decision for "git-credential PROTOCOL://HOST"')
    .addArgument(new Argument('<action>', 'what git asks').choices(['get', 'store', 'erase']))
    .option('--tier <tier>', 'apply this tier too (can only tighten)')
    .addHelpText('after', examples(['git config --global credential.https://git.example.com.helper "!guard git-credential"']))
    .action((action: string, opts) => run(async (deps, g) => (await import('./commands/git-credential.ts')).gitCredential(deps, action, { ...g, ...opts })));
}

/** The global options when argv holds nothing else (then `guard` shows its overview), else undefined. */
function onlyGlobalOptions(argv: readonly string[]): GlobalOptions | undefined {
  const options: GlobalOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i]!.split(/=(.*)/s);
    if (name === '-v' || name === '--verbose') options.verbose = true;
    else if (name === '-q' || name === '--quiet') options.quiet = true;
    else if (name === '--config' || name === '--profile') {
      const value = inline ?? argv[++i];
      if (value === undefined) return undefined;
      options[name === '--config' ? 'config' : 'profile'] = value;
    } else return undefined;
    if (inline !== undefined && name !== '--config' && name !== '--profile') return undefined;
  }
  return options;
}

export async function runCli(argv: string[]): Promise<number> {
  let code = 0;
  let deps: Deps | undefined;
  const program = buildProgram(async (action) => {
    const globals = program.opts<GlobalOptions>();
    deps = systemDeps({ configFlag: globals.config, verbose: globals.verbose, quiet: globals.quiet });
    try {
      code = await action(deps, globals);
    } catch (error) {
      code = reportError(deps, error);
    }
  });
  const overviewOptions = onlyGlobalOptions(argv);
  if (overviewOptions) {
    // `guard` alone: the session at a glance instead of the full help.
    const overviewDeps = systemDeps({ configFlag: overviewOptions.config, verbose: overviewOptions.verbose, quiet: overviewOptions.quiet });
    try {
      return await (await import('./commands/overview.ts')).overview(overviewDeps, overviewOptions);
    } catch (error) {
      return reportError(overviewDeps, error);
    }
  }
  if (argv.includes('--help') || argv.includes('-h') || argv[0] === 'help') await addNamedCommandsHelp(program, argv);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // `guard config` without a subcommand shows help but is still a usage error (commander's exitCode 1).
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || (error.code === 'commander.help' && error.exitCode === 0)) return 0;
      return 64;
    }
    throw error;
  }
  return code;
}

/** `guard --help` also lists the named commands of the configuration, with their descriptions (best effort: no config, no list). */
async function addNamedCommandsHelp(program: Command, argv: string[]): Promise<void> {
  const configAt = argv.findIndex((word) => word === '--config' || word.startsWith('--config='));
  const configFlag = configAt < 0 ? undefined : argv[configAt]!.startsWith('--config=') ? argv[configAt]!.slice('--config='.length) : argv[configAt + 1];
  const deps = systemDeps({ configFlag, quiet: true });
  let commands: Array<{ name: string; description?: string }>;
  try {
    const { loadLayers } = await import('./commands/context.ts');
    commands = [...(await loadLayers(deps, {}, { network: false })).loaded.config.commands.values()];
  } catch {
    return;
  }
  if (commands.length === 0) return;
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  const lines = commands.map((c) => `  guard ${escapeControl(c.name).padEnd(width)}${escapeControl(c.description ?? '')}`);
  program.addHelpText('after', `\nYour commands (from the configuration):\n${lines.join('\n')}\n`);
}
