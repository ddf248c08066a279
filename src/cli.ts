/**
 * The full commander program: every command with its help and examples.
 * Loaded only when the fast path in main.ts cannot answer.
 */
import { Command, CommanderError } from 'commander';
import { systemDeps, type Deps } from './deps.ts';
import { reportError } from './report-error.ts';
import { VERSION } from './version.ts';
import type { GlobalOptions } from './commands/context.ts';

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
    .showHelpAfterError('(run guard --help for usage)')
    .addHelpText('after', examples(['guard login', 'guard run -- kubectl --context=prod get pods', 'guard deploy prod', 'guard status --json', 'guard explain -- psql prod-db']));

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
    .addHelpText('after', examples(['guard run -- kubectl --context=prod get pods', 'guard run --no-prompt -- terraform apply', 'guard run --tier privileged -- ./release.sh']))
    .action((command: string[], opts) => run(async (deps, g) => (await import('./commands/run.ts')).runWrapped(deps, command, { ...g, ...opts, prompt: promptFlag(opts) })));

  program
    .command('explain')
    .description('which rules match COMMAND, the effective tier and limits, and what would happen now; runs nothing')
    .argument('<command...>', 'the command and its arguments (after --), or a named command')
    .option('--tier <tier>', 'apply this tier too')
    .option('--json', 'machine-readable output on stdout')
    .addHelpText('after', examples(['guard explain -- kubectl --context=prod-eu delete pod x', 'guard explain deploy prod --json']))
    .action((command: string[], opts) => run(async (deps, g) => (await import('./commands/explain.ts')).explain(deps, command, { ...g, ...opts })));

  program
    .command('token')
    .description('print a valid access token on stdout (same checks as run), for $(guard token)')
    .option('--tier <tier>', 'check against this tier')
    .option('--prompt', 'allow an inline device-flow login even without a TTY')
    .option('--no-prompt', 'never start a login inline: exit 77 instead')
    .addHelpText('after', examples(['curl -H "Authorization: Bearer $(guard token)" https://api.example.com/me']))
    .action((opts) => run(async (deps, g) => (await import('./commands/token.ts')).token(deps, { ...g, ...opts, prompt: promptFlag(opts) })));

  program
    .command('touch')
    .description('mark activity now, like sudo -v (needs a live session)')
    .action(() => run(async (deps, g) => (await import('./commands/touch.ts')).touch(deps, g)));

  program
    .command('lock')
    .description('end the session now, like sudo -k: the next guarded command needs a login')
    .action(() => run(async (deps, g) => (await import('./commands/logout.ts')).logout(deps, g, 'lock')));

  const config = program.command('config').description('configuration tools');
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

  return program;
}

/** --prompt / --no-prompt: true, false, or undefined when neither was given (then the TTY decides). */
function promptFlag(opts: { prompt?: boolean }): boolean | undefined {
  return opts.prompt;
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
  program.exitOverride();
  program.configureOutput({
    writeOut: (text) => process.stdout.write(text),
    writeErr: (text) => process.stderr.write(text),
    outputError: (text, write) => write(`guard: ${text.replace(/^error: /, '')}`),
  });
  if (argv.length === 0) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return 64;
    }
    throw error;
  }
  return code;
}
