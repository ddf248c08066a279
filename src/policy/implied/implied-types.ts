/**
 * The shapes every target resolver shares (SPEC §14, STYLE rule 13): what a
 * resolver reads from (argv, the environment, files — injected, so
 * resolvers stay pure) and the implied words it returns.
 */
import type { ImpliedFlag } from '../matcher.ts';
import type { KubeRead } from './kubeconfig.ts';

/** One implied flag, with where it came from (for explain and the audit log). */
export interface ImpliedWord extends ImpliedFlag {
  /** `~/.kube/config`, `PGHOST`, `.terraform/environment`, … */
  source: string;
  /** Why the value is unknown, when it is. */
  problem?: string;
}

export type TextRead = { text: string } | { missing: true } | { problem: string };

/** The outside world implied words are read from: injected, so the core stays pure. */
export interface ImpliedReader {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /**
   * The account's home folder (its passwd entry): what libpq and Python
   * fall back to when HOME is empty or unset. Each tool reads HOME from
   * `env` itself (home-dir.ts), and shows paths under HOME as `~`.
   */
  home: string;
  readKubeconfig(path: string): Promise<KubeRead>;
  readText(path: string): TextRead;
}

/**
 * A program's resolver: the implied words for argv, limited to the flag
 * names some rule may look at (`needed`): nothing is read for a flag no
 * rule asks about.
 */
export type TargetResolver = (argv: readonly string[], needed: ReadonlySet<string>, reader: ImpliedReader) => ImpliedWord[] | Promise<ImpliedWord[]>;
