// Bundles src/main.ts into dist/ (ESM, code-split so heavy parts load lazily).
// The native keychain addon stays external. Run by `npm ci` (prepare) and `npm test`.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { guard: 'src/main.ts' },
  outdir: 'dist',
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
