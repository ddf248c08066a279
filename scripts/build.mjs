// Bundles src/main.ts into dist/ (ESM, code-split so heavy parts load lazily).
// The native keychain addon stays external. Run by `npm ci` (prepare) and `npm test`.
// Builds into a temporary folder and swaps it in, so a guard running meanwhile never sees half a build.
import { build } from 'esbuild';
import { readFileSync, renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const temp = `${root}dist.build-${process.pid}`;
const old = `${root}dist.old-${process.pid}`;
await build({
  entryPoints: { guard: `${root}src/main.ts` },
  outdir: temp,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  sourcemap: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  external: ['@napi-rs/keyring'],
  define: { __GUARD_VERSION__: JSON.stringify(pkg.version) },
  // CommonJS dependencies (commander, yaml) call require(): give them one.
  banner: { js: "import { createRequire as __guardRequire } from 'node:module'; const require = __guardRequire(import.meta.url);" },
  logLevel: 'warning',
});
try {
  renameSync(`${root}dist`, old);
} catch {
  // first build
}
renameSync(temp, `${root}dist`);
rmSync(old, { recursive: true, force: true });
