// Bundles guard into dist/ so that a valid session's `guard run` loads just
// two CommonJS files: dist/guard.cjs (the entry, which first loads the core
// through V8's code cache: src/load-core.ts) and dist/core.cjs (every module
// the entry imports statically, with yaml). CommonJS because Node 20's
// ESM loader costs ~14 ms more at start-up; one core file because 20 small
// chunks cost ~45 ms more (see docs/performance.md). Everything loaded lazily
// (commander, openid-client, prompts, QR, report, policy signing…) is ESM in
// dist/lazy/, code-split, and imports the core through the package's
// `#guard-core` import map, so there is one instance of each core module
// (one GuardError class, one audit configuration).
//
// Builds into a temporary folder and swaps it in, so a guard running
// meanwhile never sees half a build. Run by `npm ci` (prepare) and `npm test`.
import { createHash } from 'node:crypto';
import { build } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
  define: { __GUARD_VERSION__: JSON.stringify(pkg.version), __GUARD_BINARY__: 'false' },
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

/**
 * esbuild's CommonJS facade for `export *` defines every export as a getter
 * up front (`__export(ns, {name: () => value, …})`) and copies them all again
 * (`module.exports = __toCommonJS(ns)`): ~0.3 ms of every start-up for ~200
 * exports. None is reassigned (no `export let`), so one plain object, built
 * once the core's modules have run, says the same. Node's cjs-module-lexer
 * still reads the names from esbuild's `0 && (module.exports = {…})` hint.
 */
function plainExports(text) {
  const facade = [...text.matchAll(/\bmodule\.exports\s*=\s*([\w$]+)\(([\w$]+)\);/g)];
  if (facade.length !== 1) throw new Error(`build: expected one module.exports = __toCommonJS(…) in the core, found ${facade.length}`);
  const [statement, , ns] = facade[0];
  const exporter = [...text.matchAll(new RegExp(`(?<![\\w$])[\\w$]+\\(${ns.replaceAll('$', '\\$')},\\s*\\{([^}]*)\\}\\);`, 'g'))];
  if (exporter.length !== 1) throw new Error(`build: expected one __export(${ns}, {…}) in the core, found ${exporter.length}`);
  const pairs = [...exporter[0][1].matchAll(/([\w$]+):\s*\(\)\s*=>\s*([\w$]+)/g)].map(([, name, value]) => `${name}:${value}`);
  if (pairs.length !== exporter[0][1].split(',').filter((p) => p.trim()).length) throw new Error('build: an export of the core is not a plain name');
  return `${text.replace(exporter[0][0], '').replace(statement, '')}\nmodule.exports={${pairs.join(',')}};Object.defineProperty(module.exports,"__esModule",{value:!0});\n`;
}

const coreBuild = await build({
  ...cjs,
  write: false,
  // Loaded by the entry's loader (src/load-core.ts), the core imports its lazy parts through the loader's import().
  banner: { js: 'var __guardLazy = typeof __guardImport === "function" ? __guardImport : (specifier) => import(specifier);' },
  stdin: { contents: [...core].map((f) => `export * from ${JSON.stringify(`./${relative(src, f)}`)};`).join('\n'), resolveDir: src, loader: 'ts', sourcefile: 'core.ts' },
  outfile: resolve(temp, 'core.cjs'),
  plugins: [{ name: 'core', setup: (b) => linkParts(b, 'core') }],
});
let coreText = coreBuild.outputFiles[0].text.replaceAll('import("#guard-lazy/', '__guardLazy("#guard-lazy/');
coreText = plainExports(coreText);
if (/\bimport\(/.test(coreText.replace('(specifier) => import(specifier)', ''))) throw new Error('build: the core has an import() that is not a #guard-lazy part; route it through __guardLazy');
mkdirSync(temp, { recursive: true });
// One expression: required, it runs as a CommonJS module; compiled by src/load-core.ts, it is the module's
// function, so that V8 compiles the file's own text (no wrapper to concatenate, no second 90 kB string).
// The content hash names the code cache (src/load-core.ts): a core changed in place is never run from an old cache.
const coreHash = createHash('sha256').update(coreText).digest('hex').slice(0, 16);
const callable = `(function (core) { return typeof module === "object" && module !== null && module.exports === exports ? core(exports, require, module, __filename, __dirname) : core; })(function (exports, require, module, __filename, __dirname, __guardImport) {${coreText}\n});\n`;
writeFileSync(resolve(temp, 'core.cjs'), callable);
// 3. The entry. Its first lines load the core through V8's code cache (src/load-core.ts) and hand it
// over as `__guardCore`, so the entry's imports of the core resolve no path (~0.2 ms of stat and realpath).
const loader = await build({
  ...cjs,
  write: false,
  stdin: {
    contents: [
      "import { join } from 'node:path';",
      "import { loadCore } from './load-core.ts';",
      "import { stateDirFor } from './util/paths.ts';",
      "import { escapeControl } from './util/text.ts';",
      'try {',
      `  __guardCore = loadCore(require, join(__dirname, 'core.cjs'), ${JSON.stringify(coreHash)}, () => join(stateDirFor(process.env), 'cache'));`,
      '} catch (error) {',
      "  process.stderr.write(`guard: cannot load ${escapeControl(join(__dirname, 'core.cjs'))} (${escapeControl(String(error?.code ?? error?.message ?? error))}); reinstall guard (npm ci)\\n`);",
      '  process.exit(70);',
      '}',
    ].join('\n'),
    resolveDir: src,
    loader: 'ts',
    sourcefile: 'core-loader.ts',
  },
});
const entry = await build({
  ...cjs,
  write: false,
  banner: { js: `"use strict";var __guardCore;(()=>{${loader.outputFiles[0].text.trim()}})();` },
  entryPoints: { guard: resolve(src, 'main.ts') },
  outdir: temp,
  outExtension: { '.js': '.cjs' },
  plugins: [{ name: 'entry', setup: (b) => linkParts(b, 'entry') }],
});
const entryText = entry.outputFiles[0].text;
if (!entryText.includes('require("./core.cjs")')) throw new Error('build: the entry does not import the core as require("./core.cjs")');
writeFileSync(resolve(temp, 'guard.cjs'), entryText.replaceAll('require("./core.cjs")', '__guardCore'));
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

// The compiled binaries (npm run build:binary) are not this build's: they stay.
for (const name of existsSync(resolve(root, 'dist')) ? readdirSync(resolve(root, 'dist')) : []) {
  if (/^guard(-linux-[a-z0-9]+)?$/.test(name)) renameSync(resolve(root, 'dist', name), resolve(temp, name));
}
try {
  renameSync(resolve(root, 'dist'), old);
} catch {
  // first build
}
renameSync(temp, resolve(root, 'dist'));
rmSync(old, { recursive: true, force: true });
