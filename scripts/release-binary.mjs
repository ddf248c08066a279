#!/usr/bin/env node
// `node scripts/release-binary.mjs`: packs the compiled guard (dist/guard,
// from npm run build:binary) into the release artefact
// dist/guard-VERSION-linux-x64.tar.gz — the binary, the completions, the man
// page when there is one (man/guard.1), README.md, LICENSE and the licences
// of the npm packages inside the binary — then checks that the extracted copy
// works where no node is on PATH: --version, a login approved over HTTP, a
// valid-session `guard run -- true`, `guard token`. Run by .ci/run, inside a
// private keychain session (scripts/with-keyring.sh). docs/binary.md.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { approveLogin } from './lib/approve.mjs';
import { ensureKeyringSession, spawnDevIdp } from './lib/keyring-session.mjs';

ensureKeyringSession(import.meta.url, 'release');

const root = fileURLToPath(new URL('..', import.meta.url));
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const name = `guard-${version}-linux-x64`;
const binary = join(root, 'dist', 'guard');
const tarball = join(root, 'dist', `${name}.tar.gz`);

class ReleaseError extends Error {}
function fail(message) {
  throw new ReleaseError(message);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.status !== 0) fail(`${command} ${args.join(' ')} exited ${result.status ?? result.signal}: ${result.stderr}`);
  return result.stdout;
}

/** The licence files of the npm packages bundled into the binary (the production dependency tree). */
function thirdPartyLicences() {
  const dirs = run('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root }).trim().split('\n').slice(1);
  const sections = [];
  for (const dir of [...new Set(dirs)].sort()) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const files = readdirSync(dir).filter((file) => /^(licen[cs]e|copying|notice)|third-party/i.test(file));
    if (files.length === 0) fail(`${relative(root, dir)} has no licence file to ship`);
    for (const file of files) sections.push(`${pkg.name}@${pkg.version} (${pkg.license ?? 'see below'}) — ${file}\n\n${readFileSync(join(dir, file), 'utf8').trim()}\n`);
  }
  const bun = JSON.parse(readFileSync(join(root, 'node_modules/@oven/bun-linux-x64/package.json'), 'utf8'));
  sections.push(`Bun ${bun.version}, the runtime inside the executable: MIT-licensed; it statically links JavaScriptCore (WebKit, LGPL-2.1) and other libraries under their own licences, listed in Bun's LICENSE.md.\n`);
  return `The guard binary contains these packages and the Bun runtime.\n\n${sections.join(`\n${'-'.repeat(78)}\n\n`)}`;
}

/** The most recently changed file the binary is built from: src/, the lock file, the build script. */
function newestSource() {
  const files = [join(root, 'package-lock.json'), join(root, 'package.json'), join(root, 'scripts', 'build-binary.mjs')];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else files.push(join(dir, entry.name));
    }
  };
  walk(join(root, 'src'));
  return files.map((path) => ({ path, mtimeMs: statSync(path).mtimeMs })).reduce((a, b) => (b.mtimeMs > a.mtimeMs ? b : a));
}

const stage = mkdtempSync(join(tmpdir(), 'guard-release-'));
const check = mkdtempSync(join(tmpdir(), 'guard-release-check-'));
let idp;
try {
  // 1. Pack.
  if (!existsSync(binary)) fail('no dist/guard: run npm run build:binary first');
  // A binary built before the source last changed would ship old code under this version.
  const newest = newestSource();
  if (statSync(binary).mtimeMs < newest.mtimeMs) fail(`dist/guard is older than ${relative(root, newest.path)}: run npm run build:binary first`);
  const top = join(stage, name);
  mkdirSync(top);
  cpSync(binary, join(top, 'guard'));
  chmodSync(join(top, 'guard'), 0o755);
  cpSync(join(root, 'completions'), join(top, 'completions'), { recursive: true });
  for (const file of ['README.md', 'LICENSE']) cpSync(join(root, file), join(top, file));
  if (existsSync(join(root, 'man', 'guard.1'))) {
    mkdirSync(join(top, 'man'));
    cpSync(join(root, 'man', 'guard.1'), join(top, 'man', 'guard.1'));
  }
  writeFileSync(join(top, 'THIRD-PARTY-LICENSES'), thirdPartyLicences());
  run('tar', ['-C', stage, '--owner=0', '--group=0', '--numeric-owner', '--sort=name', '-czf', tarball, name]);
  console.log(`${relative(process.cwd(), tarball)}: ${(statSync(tarball).size / 2 ** 20).toFixed(1)} MiB (${run('tar', ['-tzf', tarball]).trim().split('\n').length} entries)`);

  // 2. Check the extracted copy, with a PATH that holds no node: only the program guard runs here.
  run('tar', ['-C', check, '-xzf', tarball]);
  const guard = join(check, name, 'guard');
  const bin = join(check, 'bin');
  mkdirSync(bin);
  symlinkSync(existsSync('/usr/bin/true') ? '/usr/bin/true' : '/bin/true', join(bin, 'true'));
  const dev = await spawnDevIdp(spawn);
  idp = dev.child;
  const env = {
    PATH: bin,
    HOME: check,
    DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS,
    GUARD_CONFIG: join(check, 'config.yaml'),
    GUARD_STATE_DIR: join(check, 'state'),
    GUARD_SYSTEM_POLICY: join(check, 'none.yaml'),
    GUARD_POLL_INTERVAL: '0.1',
    NO_COLOR: '1',
  };
  if (env.PATH.split(delimiter).some((dir) => existsSync(join(dir, 'node')))) fail('the check PATH holds a node');
  writeFileSync(env.GUARD_CONFIG, `version: 1\nprofiles:\n  default:\n    issuer: ${dev.issuer}\n    client_id: guard-cli\n    scopes: [openid, profile, offline_access]\ntiers:\n  standard: { idle: 1h, max_session: 12h }\ndefault_tier: standard\n`);

  const shown = run(guard, ['--version'], { env }).trim();
  if (shown !== version) fail(`guard --version said ${JSON.stringify(shown)}, not ${version}`);
  const login = await approveLogin(spawn(guard, ['login', '--no-browser'], { env, stdio: ['ignore', 'ignore', 'pipe'] }), { login: 'release-check' });
  if (login.code !== 0) fail(`guard login exited ${login.code}: ${login.stderr}`);
  run(guard, ['run', '--', 'true'], { env });
  if (!/^[\w.~+/=-]{16,}$/.test(run(guard, ['token'], { env }).trim())) fail('guard token printed no token');
  run(guard, ['logout'], { env });
  console.log(`${name}: runs with no node on PATH (--version, login, run -- true, token, logout)`);
} catch (error) {
  if (!(error instanceof ReleaseError)) throw error;
  console.error(`release: ${error.message}`);
  process.exitCode = 1;
} finally {
  idp?.kill('SIGTERM');
  rmSync(stage, { recursive: true, force: true });
  rmSync(check, { recursive: true, force: true });
}
