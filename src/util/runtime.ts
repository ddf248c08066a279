/**
 * The one place that knows how guard was started (issue 26; docs/binary.md):
 *
 * - **Node** (the npm package): bin/guard → dist/guard.cjs, which loads the
 *   core through V8's code cache (src/load-core.ts) and the lazy parts from
 *   dist/lazy/; the keychain addon comes from node_modules.
 * - **The compiled binary** (`npm run build:binary` → dist/guard, built by
 *   `bun build --compile` from src/main.ts with `__GUARD_BINARY__` defined):
 *   every module, lazy parts included, is inside the executable, so there is
 *   no code-cache loader (Bun keeps its own bytecode in the file) and no
 *   import map; the keychain addon is embedded too (Bun writes it once to a
 *   private file in the temp folder and reuses it while it is unchanged).
 *   `process.argv[1]` is a path inside the executable, so guard's own path is
 *   `process.execPath`.
 *
 * Everything else behaves the same under both, checked by running the whole
 * integration suite against each (`npm run test:binary`): signals and exit
 * codes, stdio inheritance, `fs` flags (O_NOFOLLOW), `Atomics.wait` on a
 * SharedArrayBuffer, /proc, `fetch` with AbortSignal timeouts, prompts at a
 * terminal. Two differences are met where they arise, without asking which
 * runtime this is: a failed fetch carries its code on a cause (Node) or on
 * itself (Bun), read by util/net.ts fetchErrorCode; and a compiled Bun
 * program would read `.env` and `bunfig.toml` from the working folder, which
 * scripts/build-binary.mjs turns off. No other file asks which runtime it is on.
 */
import { accessSync, constants, realpathSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

/** Defined (true) by scripts/build-binary.mjs, (false) by scripts/build.mjs; unset when tests run the source. */
declare const __GUARD_BINARY__: boolean | undefined;
/** The keychain addon for the binary's target (scripts/build-binary.mjs), embedded by Bun's bundler. */
declare const __GUARD_KEYRING_ADDON__: string;

/** Whether this guard is the compiled binary. A constant, so each build drops the other's branch. */
export const COMPILED: boolean = typeof __GUARD_BINARY__ === 'boolean' && __GUARD_BINARY__;

/**
 * The file that starts this guard: the Node launcher (bin/guard, as the
 * kernel was given it, so a symlink on PATH stays a symlink), or the binary.
 * The binary's `process.execPath` is its real path; the name it was started
 * by is kept instead when it leads to this same file, so that a symlink into
 * a versioned folder (~/.local/bin/guard → ~/opt/guard-0.1.0/guard) still
 * works after an upgrade moves the link.
 */
export function selfPath(argv0: string = process.argv0, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!COMPILED) return process.argv[1];
  return invokedAs(argv0, process.execPath, env.PATH) ?? process.execPath;
}

/** The path `argv0` named (found on PATH like a shell does when it has no slash), when its real path is `executable`. */
export function invokedAs(argv0: string, executable: string, path: string | undefined): string | undefined {
  const candidates = argv0.includes('/') ? [resolve(argv0)] : (path ?? '').split(':').filter((dir) => isAbsolute(dir)).map((dir) => join(dir, argv0));
  for (const candidate of candidates) {
    try {
      if (realpathSync(candidate) === executable) return candidate;
    } catch {
      // not there: the next folder of PATH
    }
  }
  return undefined;
}

/** How to start this guard again as a child: program and leading arguments. */
export function selfCommand(): [string, ...string[]] | undefined {
  if (COMPILED) return [process.execPath];
  const entry = process.argv[1];
  return entry ? [process.execPath, entry] : undefined;
}

/**
 * What a file written for other programs (shell functions, a kubeconfig's
 * exec command, a credential helper line) should run: the absolute path of
 * `self` (selfPath()) when it can be executed directly, so it works whatever
 * PATH says later (like direnv's hook); else undefined, and the caller falls
 * back to `guard` on PATH (e.g. `node dist/guard.cjs` was run by hand).
 */
export function launcherPath(self: string | undefined): string | undefined {
  if (!self || !isAbsolute(self)) return undefined;
  try {
    accessSync(self, constants.X_OK);
    return self;
  } catch {
    return undefined;
  }
}

/**
 * The keychain's native addon inside the binary, or undefined under Node
 * (where src/keychain/os-keychain.ts loads it from node_modules).
 */
export function embeddedKeyring(): unknown {
  // A literal after the build's define, so Bun's bundler embeds the target's `.node` file.
  return COMPILED ? require(__GUARD_KEYRING_ADDON__) : undefined;
}
