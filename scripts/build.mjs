// Bundles guard into dist/ so that a valid session's `guard run` loads just
// two CommonJS files: dist/guard.cjs (the entry) and dist/core.cjs (every
// module the entry imports statically, with yaml). CommonJS because Node 20's
// ESM loader costs ~14 ms more at start-up; one core file because 20 small
// chunks cost ~45 ms more (see README, Performance). Everything loaded lazily
// (commander, openid-client, prompts, QR, report, policy signing…) is ESM in
// dist/lazy/, code-split, and imports the core through the package's
// `#guard-core` import map, so there is one instance of each core module
// (one GuardError class, one audit configuration).
//
// Builds into a temporary folder and swaps it in, so a guard running
// meanwhile never sees half a build. Run by `npm ci` (prepare) and `npm test`.
import { build } from 'esbuild';
import { readFileSync, renameSync, rmSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = resolve(root, 'src');
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));
const temp = resolve(root, `dist.build-${process.pid}`);
const old = resolve(root, `dist.old-${process.pid}`);

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  minify: true,
  external: ['@napi-rs/keyring', '@napi-rs/keyring-*'],
  define: { __GUARD_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
};
// os-keychain.ts falls back to import.meta.url only where there is no require (tests run the source as ESM).
const cjs = { ...common, format: 'cjs', logOverride: { 'empty-import-meta': 'silent' } };
const esm = {
  ...common,
  format: 'esm',
  // CommonJS dependencies (commander, yaml) call require(): give them one.
  banner: { js: "import { createRequire as __guardRequire } from 'node:module'; const require = __guardRequire(import.meta.url);" },
};

const resolveSource = (args) => (args.path.startsWith('.') ? resolve(args.resolveDir, args.path) : undefined);
const lazyPath = (file) => `#guard-lazy/${relative(src, file).replace(/\.ts$/, '.mjs')}`;

// 1. Which source files does the entry reach statically (the core), and which are loaded lazily?
const analysis = await build({
  ...esm,
  entryPoints: [resolve(src, 'main.ts')],
  write: false,
  outdir: temp,
  metafile: true,
  plugins: [{ name: 'stop-at-dynamic', setup: (b) => b.onResolve({ filter: /.*/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined)) }],
});
const core = new Set(Object.keys(analysis.metafile.inputs).filter((f) => f.startsWith('src/') && f !== 'src/main.ts').map((f) => resolve(root, f)));
const full = await build({ ...esm, entryPoints: [resolve(src, 'main.ts')], write: false, outdir: temp, splitting: true, metafile: true });
const lazy = new Set();
for (const [file, input] of Object.entries(full.metafile.inputs)) {
  if (!file.startsWith('src/')) continue;
  for (const imported of input.imports) {
    const target = resolve(root, imported.path);
    if (imported.kind === 'dynamic-import' && target.startsWith(src) && !core.has(target)) lazy.add(target);
  }
}

// 2. The core: one file re-exporting every core module. Two core modules exporting the same value name would be ambiguous.
const exported = new Map();
for (const file of core) {
  const text = readFileSync(file, 'utf8');
  for (const [, name] of text.matchAll(/^export (?:async )?(?:function\*?|const|let|class) ([A-Za-z0-9_$]+)/gm)) {
    if (exported.has(name)) throw new Error(`build: ${name} is exported by both ${exported.get(name)} and ${relative(root, file)}; rename one (core modules share one namespace)`);
    exported.set(name, relative(root, file));
  }
}
/**
 * Rewrites imports between the three parts: outside the core, a core module
 * is `#guard-core`; outside the lazy build, a lazily imported module is its
 * `#guard-lazy/…` file (inside it, esbuild's own code splitting links them).
 */
const linkParts = (b, part) =>
  b.onResolve({ filter: /^\./ }, (args) => {
    const file = resolveSource(args);
    if (!file) return undefined;
    // The entry sits next to core.cjs: a relative require skips the import-map lookup (~1.5 ms).
    if (part === 'entry' && core.has(file)) return { path: './core.cjs', external: true };
    if (part !== 'core' && core.has(file)) return { path: '#guard-core', external: true };
    if (part !== 'lazy' && args.kind === 'dynamic-import' && lazy.has(file)) return { path: lazyPath(file), external: true };
    return undefined;
  });

await build({
  ...cjs,
  stdin: { contents: [...core].map((f) => `export * from ${JSON.stringify(`./${relative(src, f)}`)};`).join('\n'), resolveDir: src, loader: 'ts', sourcefile: 'core.ts' },
  outfile: resolve(temp, 'core.cjs'),
  plugins: [{ name: 'core', setup: (b) => linkParts(b, 'core') }],
});
// 3. The entry, importing the core.
await build({ ...cjs, entryPoints: { guard: resolve(src, 'main.ts') }, outdir: temp, outExtension: { '.js': '.cjs' }, plugins: [{ name: 'entry', setup: (b) => linkParts(b, 'entry') }] });
// 4. The lazy parts, code-split among themselves, importing the core.
await build({
  ...esm,
  entryPoints: [...lazy],
  outExtension: { '.js': '.mjs' },
  outbase: src,
  outdir: resolve(temp, 'lazy'),
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  plugins: [{ name: 'lazy', setup: (b) => linkParts(b, 'lazy') }],
});

try {
  renameSync(resolve(root, 'dist'), old);
} catch {
  // first build
}
renameSync(temp, resolve(root, 'dist'));
rmSync(old, { recursive: true, force: true });
