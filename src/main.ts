/**
 * guard's entry point. A valid session's `guard run -- CMD`, named commands
 * and `guard token` are answered on a small fast path that never builds the
 * commander program; everything else loads cli.ts. Errors become exit codes
 * in report-error.ts only (SPEC §5).
 */
import { systemDeps } from './deps.ts';
import { reportError } from './report-error.ts';
import { BUILTIN_COMMANDS, isCredentialCaller, type CredentialCaller } from './policy/names.ts';
import { NotANamedCommand, runNamed, runWrapped, type RunOptions } from './commands/run.ts';
import { token } from './commands/token.ts';
import { kubeCredential } from './commands/kube-credential.ts';
import { gitCredential } from './commands/git-credential.ts';

interface FastPath {
  kind: 'run' | 'named' | 'token' | CredentialCaller;
  args: string[];
  options: RunOptions;
}

/** Options the fast path understands; anything else goes to commander, which explains usage errors. */
function parseFastPath(argv: readonly string[]): FastPath | undefined {
  const options: RunOptions = {};
  let i = 0;
  let kind: FastPath['kind'] | undefined;
  const args: string[] = [];
  const value = (name: string): string | undefined => {
    const word = argv[i]!;
    if (word.startsWith(`${name}=`)) return word.slice(name.length + 1);
    i += 1;
    return argv[i];
  };
  for (; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      if (kind !== 'run') return undefined;
      return { kind, args: argv.slice(i + 1), options };
    }
    if (!word.startsWith('-')) {
      if (kind === 'run') return { kind, args: argv.slice(i), options };
      if (kind === 'token' || kind === 'kube-credential') return undefined; // no arguments: commander explains
      if (kind === 'git-credential') {
        if (args.length > 0) return undefined;
        args.push(word); // get, store or erase
        continue;
      }
      if (word === 'run' || word === 'token' || isCredentialCaller(word)) {
        kind = word;
        continue;
      }
      if ((BUILTIN_COMMANDS as readonly string[]).includes(word)) return undefined;
      return { kind: 'named', args: argv.slice(i), options };
    }
    const name = word.split('=')[0]!;
    switch (name) {
      case '--tier': options.tier = value('--tier'); break;
      case '--profile': options.profile = value('--profile'); break;
      case '--config': options.config = value('--config'); break;
      case '--prompt': if (isCredentialCaller(kind)) return undefined; options.prompt = true; break;
      case '--no-prompt': if (isCredentialCaller(kind)) return undefined; options.prompt = false; break;
      case '--yes': case '-y': if (isCredentialCaller(kind)) return undefined; options.yes = true; break;
      case '--no-browser': if (kind === 'token' || isCredentialCaller(kind)) return undefined; options.browser = false; break;
      case '--verbose': case '-v': options.verbose = true; break;
      case '--quiet': case '-q': options.quiet = true; break;
      default: return undefined;
    }
    if ((name === '--tier' || name === '--profile' || name === '--config') && argv[i] === undefined) return undefined;
  }
  if (kind === 'token' || kind === 'kube-credential') return { kind, args: [], options };
  return kind === 'git-credential' && args.length === 1 ? { kind, args, options } : undefined;
}

async function main(argv: string[]): Promise<number> {
  const fast = parseFastPath(argv);
  if (!fast) {
    const { runCli } = await import('./cli.ts');
    return runCli(argv);
  }
  const deps = systemDeps({ configFlag: fast.options.config, verbose: fast.options.verbose, quiet: fast.options.quiet });
  try {
    if (fast.kind === 'token') return await token(deps, fast.options);
    if (fast.kind === 'kube-credential') return await kubeCredential(deps, fast.options);
    if (fast.kind === 'git-credential') return await gitCredential(deps, fast.args[0], fast.options);
    return fast.kind === 'run' ? await runWrapped(deps, fast.args, fast.options) : await runNamed(deps, fast.args, fast.options);
  } catch (error) {
    if (error instanceof NotANamedCommand) {
      // Not a named command: let commander say what is wrong.
      const { runCli } = await import('./cli.ts');
      return runCli(argv);
    }
    return reportError(deps, error);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`guard: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(70);
  },
);
