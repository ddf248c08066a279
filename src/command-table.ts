/**
 * Every guard command, described once (STYLE rule 12): its name, summary,
 * arguments, options, examples, the module that runs it, and whether the
 * fast path in main.ts may answer it. cli.ts builds the commander program
 * from this table, main.ts its fast-path parser, and the completion scripts
 * come from that program. Adding a command is one entry here plus one module
 * under commands/.
 *
 * Modules of fast-path commands are imported statically (they are the hot
 * path, bundled into dist/core.cjs); every other module loads on first use.
 */
import type { Deps } from './deps.ts';
import type { GlobalOptions } from './commands/context.ts';
import { runWrapped, type RunOptions } from './commands/run.ts';
import { token } from './commands/token.ts';
import { kubeCredential } from './commands/kube-credential.ts';
import { gitCredential } from './commands/git-credential.ts';
import { awsCredential, type AwsCredentialOptions } from './commands/aws-credential.ts';
import { SHELLS } from './shell/shells.ts';
import { DRAIN_OPTION } from './audit/spool.ts';
import { selfPath } from './util/runtime.ts';
import type { ManPage } from './ui/man-page.ts';
import type { ArgumentDef, CommandText, OptionDef } from './ui/command-shape.ts';

export type { OptionDef, ArgumentDef } from './ui/command-shape.ts';

/** What a command's module gets: its positional arguments in order, and the options (global ones included). */
export interface CommandCall {
  args: Array<string | string[] | undefined>;
  options: GlobalOptions & Record<string, unknown>;
  /** The commander program (for `guard completion`, which describes it). */
  program?: unknown;
}

export interface CommandDef extends CommandText {
  /** May main.ts answer it without building the commander program? */
  fast?: boolean;
  /** Runs the command; absent for a group (`config`, `policy`) whose subcommands run. */
  run?: (deps: Deps, call: CommandCall) => Promise<number>;
}

/**
 * guard itself: what `guard --help` says above and below the commands, and
 * what the man page (man/guard.1) says around them.
 */
export const PROGRAM = {
  summary: 'session-timeout enforcement in front of privileged commands',
  description: 'Session-timeout enforcement in front of privileged commands: OIDC device-flow login, tokens in the OS keychain, idle and age limits per tier.',
  examples: ['guard login', 'guard run -- kubectl get pods --context=prod', 'guard deploy prod', 'guard status --json', 'guard explain -- psql prod-db', 'guard shell-init --rc-line bash >> ~/.bashrc   # route kubectl, psql… through guard'],
  /** SPEC §5. */
  exitStatus: [
    ['0', 'success; or the wrapped command\'s own code'],
    ['64', 'usage error'],
    ['69', 'identity provider, keychain or central policy unreachable or misbehaving'],
    ['74', 'a local file could not be written (disk full)'],
    ['77', 'authentication required and not allowed inline, or denied, expired or failed'],
    ['78', 'configuration invalid, or untrusted where it was needed'],
    ['127', 'the wrapped command was not found'],
    ['130', 'cancelled by the user'],
    ['128+N', 'the wrapped command died of signal N'],
  ],
  environment: [
    ['GUARD_CONFIG', 'the user config file (default: $XDG_CONFIG_HOME/guard/config.yaml); --config wins'],
    ['GUARD_PROFILE', 'the profile to use (default: default_profile, else "default"); --profile wins'],
    ['GUARD_STATE_DIR', 'the state folder (default: $XDG_STATE_HOME/guard, else ~/.local/state/guard)'],
    ['GUARD_SYSTEM_POLICY', 'adds a system-layer policy file; /etc/guard/policy.yaml still applies when it exists'],
    ['GUARD_BROWSER', 'the program that opens the sign-in page, or none'],
    ['GUARD_HTTP_TIMEOUT', 'seconds for each network request (default 10)'],
    ['XDG_CONFIG_HOME, XDG_STATE_HOME', 'where the user config and the state folder live'],
    ['KUBECONFIG', 'the kubeconfig files kubectl reads (for implied words and guard kubeconfig)'],
    ['CI', 'when set, no login starts inline'],
    ['NO_COLOR, FORCE_COLOR', 'turn colour off or on'],
  ],
  files: [
    ['~/.config/guard/config.yaml', 'the user config'],
    ['/etc/guard/policy.yaml', 'the system policy'],
    ['.guard.yaml', 'a project config, from the working directory up; applies once guard trust recorded it'],
    ['~/.local/state/guard/', 'session state, audit.jsonl, trust records, caches, and shell/init.SHELL (what the rc line sources); private (0700, files 0600)'],
  ],
  seeAlso: ['kubectl(1)', 'psql(1)', 'git-credential(1)', 'sudo(8)'],
} as const;

/** Options every command accepts, before or after its name. */
export const GLOBAL_OPTIONS: OptionDef[] = [
  { flags: '--config <file>', description: 'user config file (default: $GUARD_CONFIG or ~/.config/guard/config.yaml)' },
  { flags: '--profile <name>', description: 'profile to use (default: $GUARD_PROFILE, default_profile, "default")' },
  { flags: '-v, --verbose', description: 'explain more on errors' },
  { flags: '-q, --quiet', description: 'only errors on stderr' },
];

/** `--json`, for the commands that print data: a global option too (`guard --json status`). */
export const JSON_OPTION: OptionDef = { flags: '--json', description: 'machine-readable output on stdout' };

const RUN_OPTIONS: OptionDef[] = [
  { flags: '--tier <tier>', description: 'apply this tier too (can only tighten)' },
  { flags: '--prompt', description: 'allow an inline device-flow login even without a TTY' },
  { flags: '--no-prompt', description: 'never start a login inline: exit 77 instead' },
  { flags: '-y, --yes', description: 'answer confirmation prompts with yes' },
  { flags: '--no-browser', description: 'never open a browser' },
];

/** The files and folders of a team's audit events (SPEC §16). */
const TEAM_OPTION: OptionDef = { flags: '--team <path...>', description: "read a team's audit events from these files and folders (a syslog collector's, or guard's JSONL)" };

const SHELL_ARGUMENT: ArgumentDef = { syntax: '[shell]', description: 'bash, zsh or fish (default: from $SHELL)', choices: SHELLS };

const text = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);
const words = (value: string | string[] | undefined): string[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

export const COMMANDS: CommandDef[] = [
  {
    name: 'init',
    summary: 'write a first configuration: check your identity provider, propose tiers, rules and aliases, then sign in',
    options: [
      { flags: '--issuer <url>', description: "the identity provider's issuer URL (OIDC discovery base)" },
      { flags: '--client-id <id>', description: 'the public client registered for guard (device grant)' },
      { flags: '-y, --yes', description: 'at a terminal: take every proposal without asking (scripts need only --issuer and --client-id)' },
      { flags: '--force', description: 'replace an existing configuration (the old file is kept as a backup)' },
      { flags: '--no-browser', description: 'when signing in, never open a browser' },
      { flags: '--aws-role-arn <arn>', description: 'with aws on PATH: point an AWS profile\'s credential_process at guard for this role (see guard aws-config)' },
      { flags: '--aws-profile <name>', description: 'with --aws-role-arn: the AWS profile (default: default)' },
      { flags: '--aws-region <region>', description: 'with --aws-role-arn: the region whose STS guard calls (default: $AWS_REGION or us-east-1)' },
    ],
    examples: [
      'guard init',
      'guard init --issuer https://idp.example.com/realms/eng --client-id guard-cli --yes',
      'guard init --profile work --issuer https://login.example.com --client-id guard --yes --force',
      'guard init --issuer https://idp.example.com --client-id guard-cli --aws-role-arn arn:aws:iam::111122223333:role/dev --aws-region eu-west-1',
    ],
    run: async (deps, { options }) => (await import('./commands/init.ts')).init(deps, { ...options, self: selfPath() }),
  },
  {
    name: 'login',
    summary: 'sign in with a device-flow login (always, with or without a TTY)',
    options: [
      { flags: '--step-up', description: 'ask the identity provider to re-authenticate you' },
      { flags: '--no-browser', description: 'never open a browser; just print the URL and code' },
      { flags: '--json', description: 'print the session as JSON on stdout' },
    ],
    examples: ['guard login', 'guard login --profile staging --no-browser'],
    run: async (deps, { options }) => (await import('./commands/login.ts')).login(deps, options),
  },
  {
    name: 'logout',
    summary: 'revoke the refresh token at the IdP, delete the keychain entry and the session',
    options: [{ flags: '--all', description: 'every configured profile' }],
    examples: ['guard logout', 'guard logout --all'],
    run: async (deps, { options }) => (await import('./commands/logout.ts')).logout(deps, options),
  },
  {
    name: 'status',
    summary: 'who is signed in, session age, idle time and what each tier decides now (exit 77 without a session)',
    options: [JSON_OPTION],
    examples: ['guard status', 'guard status --json | jq .tiers'],
    run: async (deps, { options }) => (await import('./commands/status.ts')).status(deps, options),
  },
  {
    name: 'doctor',
    summary: 'check the set-up, one line per check with the fix: config layers, central policy, identity provider, clock, keychain, state folder, shell functions, kubeconfig, git, AWS profiles (exit 0 when all pass)',
    options: [JSON_OPTION],
    examples: ['guard doctor', 'guard doctor --json | jq \'.checks[] | select(.status == "fail")\''],
    run: async (deps, { options }) => (await import('./commands/doctor.ts')).doctor(deps, { ...options, self: selfPath() }),
  },
  {
    name: 'run',
    summary: 'decide, sign in if needed and allowed, then run COMMAND',
    args: [{ syntax: '<command...>', description: 'the command and its arguments (after --)' }],
    options: RUN_OPTIONS,
    examples: ['guard run -- kubectl get pods --context=prod', 'guard run --no-prompt -- terraform apply', 'guard run --tier privileged -- ./release.sh'],
    fast: true,
    run: (deps, { args, options }) => runWrapped(deps, words(args[0]), options as RunOptions),
  },
  {
    name: 'explain',
    summary: 'which rules match COMMAND, the effective tier and limits, and what would happen now; runs nothing',
    args: [{ syntax: '<command...>', description: 'the command and its arguments (after --), or a named command' }],
    options: [{ flags: '--tier <tier>', description: 'apply this tier too' }, JSON_OPTION],
    examples: ['guard explain -- kubectl delete pod x --context=prod-eu', 'guard explain deploy prod --json'],
    run: async (deps, { args, options }) => (await import('./commands/explain.ts')).explain(deps, words(args[0]), options),
  },
  {
    name: 'token',
    summary: 'print a valid access token on stdout (same checks as run), for $(guard token)',
    options: [
      { flags: '--tier <tier>', description: 'check against this tier' },
      { flags: '--prompt', description: 'allow an inline device-flow login even without a TTY' },
      { flags: '--no-prompt', description: 'never start a login inline: exit 77 instead' },
      { flags: '-y, --yes', description: "answer a confirm tier's question with yes" },
    ],
    examples: ['curl -H "Authorization: Bearer $(guard token)" https://api.example.com/me'],
    fast: true,
    run: (deps, { options }) => token(deps, options as RunOptions),
  },
  {
    name: 'kube-credential',
    summary: 'client-go exec credential plugin: after run\'s decision for "kube-credential SERVER", print an ExecCredential (kubectl runs this; see guard kubeconfig)',
    options: [
      { flags: '--tier <tier>', description: 'apply this tier too (can only tighten)' },
      { flags: '--server <url>', description: "the cluster's server, when the kubeconfig user cannot set provideClusterInfo" },
    ],
    examples: ['guard kubeconfig --context prod   # writes the exec user that runs this', 'guard kube-credential --server https://prod.example.com   # in a kubeconfig without provideClusterInfo'],
    help: `Reads KUBERNETES_EXEC_INFO (client.authentication.k8s.io/v1 or v1beta1) and
answers in the same apiVersion on stdout. Hands out the ID token (or the
access token with the profile's kube_token: access_token; a token for this
cluster alone with kube_resource: true). Signs in only when the client runs
it interactively at a terminal; otherwise exit 77.

The tier is the one kubectl gets for the same cluster: the rules on
kube-credential SERVER, and kubectl's rules on a --context=, --cluster= or
--server= of the kubeconfig that reaches that server. A call that does not
say its server (no spec.cluster: provideClusterInfo off, and no --server)
takes the strictest rule on kubectl or kube-credential.
`,
    fast: true,
    run: (deps, { options }) => kubeCredential(deps, options),
  },
  {
    name: 'kubeconfig',
    summary: "point a kubeconfig context's user at guard kube-credential (keeps a backup; --undo restores it)",
    options: [
      { flags: '--context <name>', description: 'the kubeconfig context', required: true },
      { flags: '--tier <tier>', description: 'tier for this context (passed to guard kube-credential)' },
      { flags: '--undo', description: "restore the context's user from the backup" },
    ],
    examples: ['guard kubeconfig --context prod   # the rules on kubectl --context=prod (or its cluster) decide it', 'guard kubeconfig --context lab --tier privileged   # a tier for a cluster no rule names', 'KUBECONFIG=~/.kube/work guard kubeconfig --context staging', 'guard kubeconfig --context prod --undo'],
    run: async (deps, { options }) => (await import('./commands/kubeconfig.ts')).kubeconfig(deps, { ...options, self: selfPath() } as import('./commands/kubeconfig.ts').KubeconfigOptions),
  },
  {
    name: 'git-credential',
    summary: 'git credential helper: on get, the access token as the password after run\'s decision for "git-credential PROTOCOL://HOST"',
    args: [{ syntax: '<action>', description: 'what git asks', choices: ['get', 'store', 'erase'] }],
    options: [{ flags: '--tier <tier>', description: 'apply this tier too (can only tighten)' }],
    examples: ['git config --global credential.https://git.example.com.helper "!guard git-credential"'],
    fast: true,
    run: (deps, { args, options }) => gitCredential(deps, text(args[0]), options),
  },
  {
    name: 'aws-credential',
    summary: 'AWS credential_process: after run\'s decision for "aws-credential ROLE_ARN", print the role\'s temporary credentials from STS (the aws CLI and SDKs run this; see guard aws-config)',
    options: [
      { flags: '--role-arn <arn>', description: 'the IAM role to assume with your ID token (AssumeRoleWithWebIdentity)' },
      { flags: '--tier <tier>', description: 'apply this tier too (can only tighten)' },
      { flags: '--duration <duration>', description: 'how long STS credentials may live, 15m to 12h (shortened to the session\'s max_session and reauth_within)', default: '1h' },
    ],
    examples: [
      'guard aws-config --aws-profile prod --role-arn arn:aws:iam::111122223333:role/deploy   # writes the line that runs this',
      'guard aws-credential --role-arn arn:aws:iam::111122223333:role/deploy | jq .Expiration',
    ],
    help: `Prints {"Version":1,"AccessKeyId":…,"SecretAccessKey":…,"SessionToken":…,"Expiration":…}
on stdout and nothing else. The credentials come from STS at the profile's
aws_sts_endpoint (default https://sts.<aws_region>.amazonaws.com) and are kept
per role in the keychain until they expire; guard lock and guard logout drop
them. Expiration is never later than the tier's next limit, so the SDK asks
again and gets a fresh decision. Signs in only at a terminal; otherwise exit 77.
`,
    fast: true,
    run: (deps, { options }) => awsCredential(deps, options as AwsCredentialOptions),
  },
  {
    name: 'aws-config',
    summary: "point an AWS profile's credential_process at guard aws-credential (keeps a backup of what it replaces; --undo restores it)",
    options: [
      { flags: '--aws-profile <name>', description: 'the AWS profile ([profile NAME], or [default]) in $AWS_CONFIG_FILE or ~/.aws/config', required: true },
      { flags: '--role-arn <arn>', description: 'the IAM role guard aws-credential assumes (needed unless --undo)' },
      { flags: '--tier <tier>', description: 'tier for this profile (passed to guard aws-credential)' },
      { flags: '--undo', description: "restore the profile's lines from the backup" },
    ],
    examples: [
      'guard aws-config --aws-profile prod --role-arn arn:aws:iam::111122223333:role/deploy --tier privileged',
      'guard aws-config --aws-profile default --role-arn arn:aws:iam::444455556666:role/dev',
      'guard aws-config --aws-profile prod --undo',
    ],
    help: `Static keys of that profile (in the config file and in ~/.aws/credentials,
which the aws CLI would prefer) and settings that would take precedence
(role_arn, sso_*, web_identity_token_file) move into the backup
FILE.guard-backup.json (mode 0600). Running it again changes nothing.
`,
    run: async (deps, { options }) => (await import('./commands/aws-config.ts')).awsConfig(deps, { ...options, self: selfPath() } as import('./commands/aws-config.ts').AwsConfigOptions),
  },
  {
    name: 'touch',
    summary: 'mark activity now, like sudo -v (needs a live session)',
    examples: ['guard touch', 'guard touch && make deploy   # start a long job with a fresh idle clock'],
    run: async (deps, { options }) => (await import('./commands/touch.ts')).touch(deps, options),
  },
  {
    name: 'lock',
    summary: 'end the session now, like sudo -k: the next guarded command needs a login',
    examples: ['guard lock', 'guard lock --profile staging'],
    run: async (deps, { options }) => (await import('./commands/logout.ts')).logout(deps, options, 'lock'),
  },
  {
    name: 'config',
    summary: 'configuration tools',
    examples: ['guard config check', 'guard config check ./.guard.yaml --json'],
  },
  {
    name: 'config check',
    summary: 'validate every layer (or FILE), listing each problem as file:line:column; exit 0 or 78',
    args: [{ syntax: '[file]', description: 'one file to check' }],
    options: [JSON_OPTION],
    examples: ['guard config check', 'guard config check ./.guard.yaml --json'],
    run: async (deps, { args, options }) => (await import('./commands/config-check.ts')).configCheck(deps, text(args[0]), options),
  },
  {
    name: 'trust',
    summary: 'trust a project .guard.yaml (its path and content; any edit un-trusts it), like direnv allow',
    args: [{ syntax: '[file]', description: 'the file (default: the nearest .guard.yaml)' }],
    options: [{ flags: '--revoke', description: 'stop trusting it' }],
    examples: ['guard trust', 'guard trust ../.guard.yaml', 'guard trust --revoke'],
    run: async (deps, { args, options }) => (await import('./commands/trust.ts')).trust(deps, text(args[0]), options as { revoke?: boolean }),
  },
  {
    name: 'shell-init',
    summary: 'print shell functions that run each configured alias (kubectl, psql, …) through guard run; eval them in your shell rc file',
    args: [SHELL_ARGUMENT],
    options: [
      { flags: '--rc-line', description: "print the line for your shell's start-up file instead" },
      { flags: '--uninstall', description: 'print the commands that remove the functions again' },
    ],
    examples: ['guard shell-init --rc-line bash >> ~/.bashrc', 'guard shell-init --rc-line zsh >> ~/.zshrc', 'guard shell-init --rc-line fish >> ~/.config/fish/config.fish', 'eval "$(guard shell-init bash)"        # this shell only', 'eval "$(guard shell-init --uninstall bash)"'],
    help: `The functions come from the config's aliases (e.g. aliases: [kubectl, psql]).
Each one finds the real program on PATH, so it never calls itself, and
returns the program's exit code. Without a terminal (scripts, CI) guard
never starts a login: it exits 77 when a sign-in is needed.

The rc line (--rc-line) costs a new shell a few milliseconds, not a Node
start: it sources the file guard keeps in its state folder (shell/init.SHELL,
yours alone, mode 0600), which checks that nothing it was made from changed
(config layers, trust, central policy, guard itself, the project files above
the working directory) and otherwise runs guard shell-init, which writes it
anew. The older line, eval "$(guard shell-init bash)", still works.

With an invalid configuration the functions of the last valid one stay (kubectl
and psql if there never was one), and each refuses (exit 78) until the config is
fixed: an alias never silently becomes the bare program.
`,
    run: async (deps, { args, options }) => (await import('./commands/shell-init.ts')).shellInit(deps, text(args[0]), { ...options, self: selfPath() }),
  },
  {
    name: 'completion',
    summary: 'print a completion script for bash, zsh or fish (also shipped in completions/)',
    args: [SHELL_ARGUMENT],
    options: [
      { flags: '--list <kind>', description: 'words for the scripts: profiles, tiers, commands (from the config), contexts (from the kubeconfig)', hidden: true },
      { flags: '--after <words>', description: 'with --list commands: the named-command words typed so far', hidden: true },
      { flags: '--man', description: 'print the manual page guard(1) instead (roff; scripts/gen-completions.mjs writes man/guard.1)', hidden: true },
    ],
    examples: ['source <(guard completion bash)         # in ~/.bashrc', 'source <(guard completion zsh)          # in ~/.zshrc, after compinit', 'guard completion fish > ~/.config/fish/completions/guard.fish'],
    help: `Profiles, tiers and named commands are read from the config each time you
press TAB, so the scripts never need regenerating when the config changes.
`,
    run: async (deps, { args, options, program }) =>
      (await import('./commands/completion.ts')).completion(deps, text(args[0]), { ...options, program: program as import('commander').Command, manPage: manPage() }),
  },
  {
    name: 'report',
    summary: 'usage analysis of the audit log (or a whole team\'s, with --team): activity per tier and profile, idle gaps, prompts per working day or user-day, and idle limits that keep re-logins under a target',
    options: [
      { flags: '--since <duration>', description: 'how far back to look', default: '30d' },
      { flags: '--tier <tier>', description: 'only this tier' },
      { flags: '--target <n>', description: 'acceptable idle re-logins per working day (per user-day with --team)', default: '3' },
      { flags: '--format <format>', description: 'text, json or csv', default: 'text' },
      { flags: '--json', description: 'same as --format json (the shape is documented in docs/monitoring.md)' },
      TEAM_OPTION,
      { flags: '--by <what>', description: 'with --team: one row per user or per host (otherwise people are counted, not named)', choices: ['user', 'host'] },
      { flags: DRAIN_OPTION, description: 'send the audit spool to its sinks now (guard runs this itself, in the background)', hidden: true },
    ],
    examples: [
      'guard report',
      'guard report --since 7d --tier privileged',
      'guard report --json | jq .suggestions',
      'guard report --format csv > guard-usage.csv',
      'guard report --team /var/log/guard',
      'guard report --team /var/log/guard --json | jq \'{users, hosts}\'',
      'guard report --team /var/log/guard --by user',
    ],
    help: `With --team, the events come from the files and folders named (guard's
JSONL, or syslog files whose lines carry a guard event, .gz too), from many
users and hosts, as a collector keeps them (docs/team-loop.md): rates are per
user-day, suggestions may loosen a limit and say how many people each
affects, and the JSON adds "users" and "hosts". People are counted, not named,
unless --by user.
`,
    run: async (deps, { options }) => (await import('./commands/report.ts')).report(deps, options),
  },
  {
    name: 'policy',
    summary: "the organisation's central signed policy (policy_url): where it came from, its version and age; fetch now; sign one",
    examples: ['guard policy status', 'guard policy pull', 'guard policy sign --key policy-key.jwk policy.yaml > policy.jws'],
  },
  {
    name: 'policy status',
    summary: 'source, version (iat), signer, age and next check of the cached policy; no network (exit 0 when current, 69 when not)',
    options: [JSON_OPTION],
    examples: ['guard policy status', 'guard policy status --json | jq .age_ms'],
    run: async (deps, { options }) => (await import('./commands/policy.ts')).policyStatus(deps, options),
  },
  {
    name: 'policy pull',
    summary: 'fetch the policy now, whatever policy_refresh says (exit 69 when it cannot be fetched or is rejected)',
    options: [JSON_OPTION],
    examples: ['guard policy pull'],
    run: async (deps, { options }) => (await import('./commands/policy.ts')).policyPull(deps, options),
  },
  {
    name: 'policy show',
    summary: 'print the verified policy in force (its JSON payload) on stdout; no network',
    examples: ['guard policy show | jq .tiers'],
    run: async (deps, { options }) => (await import('./commands/policy.ts')).policyShow(deps, options),
  },
  {
    name: 'policy sign',
    summary: 'for admins: sign a system-layer policy (YAML or JSON) as a compact JWS on stdout, with iat = now and exp = now + --expires',
    args: [{ syntax: '<file>', description: 'the policy file (same schema as the system policy)' }],
    options: [
      { flags: '--key <file>', description: 'the private signing key, a JWK (see guard policy keygen)', required: true },
      { flags: '--expires <duration>', description: 'how long the signed document stays valid', default: '30d' },
    ],
    examples: ['guard policy sign --key policy-key.jwk policy.yaml > policy.jws', 'guard policy sign --key "$KEY_FILE" --expires 7d policy.yaml > public/policy.jws'],
    run: async (deps, { args, options }) => (await import('./commands/policy.ts')).policySign(deps, text(args[0])!, options as { key: string; expires: string }),
  },
  {
    name: 'policy propose',
    summary: 'for admins: the report\'s idle suggestions as the next system-layer policy (YAML on stdout, each tier with its evidence, the changes against the central policy in force) to review, sign and publish',
    options: [
      TEAM_OPTION,
      { flags: '--since <duration>', description: 'how far back to look', default: '30d' },
      { flags: '--target <n>', description: 'acceptable idle re-logins per user-day', default: '3' },
    ],
    examples: [
      'guard policy propose --team /var/log/guard > proposal.yaml',
      'guard config check proposal.yaml && guard policy sign --key policy-key.jwk proposal.yaml > policy.jws',
    ],
    help: `The document is the central policy in force (else the local system layer)
with the suggested idle limits in place; nothing else changes. Signing and
publishing it stay the policy owner's steps: guard policy sign, then any HTTPS
host; each laptop applies it at its next policy_refresh (docs/team-loop.md).
`,
    run: async (deps, { options }) => (await import('./commands/policy-propose.ts')).policyPropose(deps, options),
  },
  {
    name: 'policy keygen',
    summary: 'for admins: write a new private signing key (JWK, mode 0600) to FILE and print its public JWK Set',
    args: [{ syntax: '<file>', description: 'where to write the private key (never overwritten)' }],
    options: [{ flags: '--alg <alg>', description: 'signature algorithm', default: 'ES256' }],
    examples: ['guard policy keygen policy-key.jwk > policy-jwks.json'],
    run: async (deps, { args, options }) => (await import('./commands/policy.ts')).policyKeygen(deps, text(args[0])!, options as { alg?: string }),
  },
];

/** guard(1) as the man page renderer wants it: the program, its global options and every command of this table. */
export function manPage(): ManPage {
  return { ...PROGRAM, globalOptions: GLOBAL_OPTIONS, commands: COMMANDS };
}

/** The first word of every command, and `help`: a named command from config may not start with one. */
export function builtinWords(): string[] {
  return [...new Set([...COMMANDS.map((command) => command.name.split(' ')[0]!), 'help'])];
}
