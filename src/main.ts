/**
 * guard's entry point. A valid session's `guard run -- CMD`, named commands
 * and `guard token` are answered on a small fast path (parsed from the
 * command table) that never builds the commander program; everything else
 * loads cli.ts. Errors become exit codes in report-error.ts only (SPEC §5).
 */
import { systemDeps } from './system-deps.ts';
import { reportError } from './report-error.ts';
import { parseFastPath } from './fast-path.ts';
import { NotANamedCommand, runNamed } from './commands/run.ts';
import { markHotPath } from './util/hot-path.ts';

async function main(argv: string[]): Promise<number> {
  const fast = parseFastPath(argv);
  if (!fast) {
    const { runCli } = await import('./cli.ts');
    return runCli(argv);
  }
  const deps = systemDeps({ configFlag: fast.options.config, verbose: fast.options.verbose, quiet: fast.options.quiet });
  markHotPath();
  try {
    if (fast.command === 'named') return await runNamed(deps, fast.args, fast.options);
    const variadic = fast.command.args?.some((arg) => arg.syntax.includes('...'));
    return await fast.command.run!(deps, { args: variadic ? [fast.args] : fast.args, options: fast.options });
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
