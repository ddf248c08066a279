// Compiles guard into one executable with Bun (issue 26; docs/binary.md):
//
//   npm run build:binary                                  # dist/guard (linux-x64)
//   npm run build:binary -- --target bun-linux-arm64      # dist/guard-linux-arm64
//   npm run build:binary -- --outfile /tmp/guard
//
// From the same source as the Node build (src/main.ts), with every lazily
// imported part and the keychain's native addon inside the executable, the
// version from package.json, and __GUARD_BINARY__ set (src/util/runtime.ts,
// the one place that knows). Bun comes from the npm registry as a pinned
// devDependency (@oven/bun-linux-x64); nothing is downloaded: another
// target's Bun runtime and keychain addon must be installed first (the
// error says how). Builds into a temp file and renames it into place.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));
const BUN_VERSION = pkg.devDependencies['@oven/bun-linux-x64'];

/**
 * What each target needs. A target that guard has never been run on says
 * what is missing instead of producing a binary nobody has tried.
 */
const TARGETS = {
  'bun-linux-x64': { bun: '@oven/bun-linux-x64', addon: '@napi-rs/keyring-linux-x64-gnu/keyring.linux-x64-gnu.node', suffix: '' },
  'bun-linux-arm64': { bun: '@oven/bun-linux-aarch64', addon: '@napi-rs/keyring-linux-arm64-gnu/keyring.linux-arm64-gnu.node', suffix: '-linux-arm64', cpu: 'arm64' },
  'bun-darwin-arm64': {
    missing:
      "macOS is not supported yet: its keychain addon (@napi-rs/keyring-darwin-arm64) talks to the login keychain, which guard's tests never ran against; terminal-bound tiers read /proc, which macOS does not have (a terminal's identity needs sysctl KERN_PROC there); and the signals, prompts and browser opening have never been run on macOS. See docs/binary.md",
  },
  'bun-darwin-x64': { missing: 'macOS is not supported yet (see bun-darwin-arm64 in docs/binary.md)' },
  'bun-windows-x64': {
    missing:
      "Windows is not supported yet: guard's state files rely on POSIX modes and O_NOFOLLOW, its locks and terminal tickets on /proc, its shell functions on bash/zsh/fish, and its keychain addon (Credential Manager) was never run. See docs/binary.md",
  },
};

function fail(message) {
  process.stderr.write(`build:binary: ${message}\n`);
  process.exit(1);
}

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = process.argv[at + 1];
  if (!value || value.startsWith('--')) fail(`${name} needs a value`);
  return value;
}

const targetName = option('--target', 'bun-linux-x64');
const target = TARGETS[targetName];
if (!target) fail(`unknown target ${targetName} (known: ${Object.keys(TARGETS).join(', ')})`);
if (target.missing) fail(`${targetName}: ${target.missing}`);
const outfile = resolve(option('--outfile', resolve(root, 'dist', `guard${target.suffix}`)));

/** A file inside an installed package, or the one line that says how to install it (from the npm registry, pinned). */
function installed(spec, version, why) {
  const path = resolve(root, 'node_modules', spec);
  if (existsSync(path)) return path;
  const name = spec.split('/').slice(0, 2).join('/');
  // --force: another CPU's package (npm refuses it otherwise); it leaves this machine's packages alone.
  fail(`${relative(root, path)} is missing (${why}); install it with: npm install --no-save${target.cpu ? ' --force' : ''} ${name}@${version}`);
}

const host = installed(`@oven/bun-linux-${process.arch === 'arm64' ? 'aarch64' : 'x64'}/bin/bun`, BUN_VERSION, "Bun, the compiler; it is a devDependency: run npm ci");
const runtime = target.bun === '@oven/bun-linux-x64' && process.arch === 'x64' ? undefined : installed(`${target.bun}/bin/bun`, BUN_VERSION, `the Bun runtime for ${targetName}`);
const addonVersion = JSON.parse(readFileSync(resolve(root, 'node_modules/@napi-rs/keyring/package.json'), 'utf8')).version;
installed(target.addon, addonVersion, `the keychain addon for ${targetName}`);

const temp = `${outfile}.build-${process.pid}`;
const args = [
  'build',
  resolve(root, 'src/main.ts'),
  '--compile',
  `--target=${targetName}`,
  // Measured (docs/binary.md): --bytecode saves ~10 ms of every start; --minify a little more and 1 MB.
  '--minify',
  '--bytecode',
  // A compiled Bun program would otherwise read .env and bunfig.toml (preload scripts!) from the working
  // directory: a project folder must not set guard's environment or run code in it.
  '--no-compile-autoload-dotenv',
  '--no-compile-autoload-bunfig',
  '--no-compile-autoload-tsconfig',
  '--no-compile-autoload-package-json',
  '--define',
  `__GUARD_VERSION__=${JSON.stringify(pkg.version)}`,
  '--define',
  '__GUARD_BINARY__=true',
  '--define',
  `__GUARD_KEYRING_ADDON__=${JSON.stringify(target.addon)}`,
  ...(runtime ? [`--compile-executable-path=${runtime}`] : []),
  '--outfile',
  temp,
];
const build = spawnSync(host, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
if (build.status !== 0) {
  rmSync(temp, { force: true });
  fail(`bun build failed (${build.status ?? build.signal})`);
}
renameSync(temp, outfile);
process.stdout.write(`${relative(process.cwd(), outfile) || outfile}: guard ${pkg.version}, ${targetName}, ${(statSync(outfile).size / 2 ** 20).toFixed(1)} MiB (bun ${BUN_VERSION})\n`);
// Runs here: check it answers before anyone ships it.
if (!runtime) {
  const version = spawnSync(outfile, ['--version'], { cwd: dirname(outfile), encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  if (version.status !== 0 || version.stdout.trim() !== pkg.version) fail(`${outfile} --version answered ${JSON.stringify(version.stdout + version.stderr)} (exit ${version.status})`);
}
