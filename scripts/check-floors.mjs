#!/usr/bin/env node
// Floors, not a web (STYLE rule 11): the top-level rooms of src/ (each folder,
// and each file at its root) must import each other without any cycle, and no
// file may sit on an import circle. Type-only and dynamic imports count too.
// Prints every offending import and exits 1; prints the floors and exits 0.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// `--root DIR` checks another tree (the script's own test uses it).
const rootAt = process.argv.indexOf('--root');
const root = rootAt > 0 ? resolve(process.argv[rootAt + 1]) : resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');

function listFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listFiles(path);
    return /\.(ts|mts|cts)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

// import x from '…' · import type … from '…' · export … from '…' · import('…') · import '…'
const IMPORT = /(?:\bimport\s*(?:type\s+)?[^'"()]*?\bfrom\s*|\bexport\s*(?:type\s+)?[^'"()]*?\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g;

function stripComments(text) {
  // Comments go, their line breaks stay: the line numbers printed are the file's own.
  return text.replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, '')).replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

function resolveImport(from, spec) {
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

const files = listFiles(root).sort();
const edges = new Map(); // file -> [{to, line}]
for (const file of files) {
  const text = stripComments(readFileSync(file, 'utf8'));
  const out = [];
  for (const match of text.matchAll(IMPORT)) {
    const to = resolveImport(file, match[2]);
    if (to) out.push({ to, line: text.slice(0, match.index).split('\n').length });
  }
  edges.set(file, out);
}

const rel = (file) => relative(root, file).split(sep).join('/');
const roomOf = (file) => rel(file).split('/')[0];

/** Tarjan's strongly connected components. */
function components(nodes, next) {
  let index = 0;
  const info = new Map();
  const stack = [];
  const result = [];
  const visit = (node) => {
    info.set(node, { index, low: index, onStack: true });
    index += 1;
    stack.push(node);
    for (const to of next(node)) {
      if (!info.has(to)) {
        visit(to);
        info.get(node).low = Math.min(info.get(node).low, info.get(to).low);
      } else if (info.get(to).onStack) {
        info.get(node).low = Math.min(info.get(node).low, info.get(to).index);
      }
    }
    if (info.get(node).low === info.get(node).index) {
      const group = [];
      let member;
      do {
        member = stack.pop();
        info.get(member).onStack = false;
        group.push(member);
      } while (member !== node);
      if (group.length > 1 || next(node).includes(node)) result.push(group);
    }
  };
  for (const node of nodes) if (!info.has(node)) visit(node);
  return result;
}

let failed = false;

const rooms = [...new Set(files.map(roomOf))].sort();
const roomNext = (room) => [...new Set(files.filter((f) => roomOf(f) === room)
  .flatMap((f) => edges.get(f).map((e) => roomOf(e.to))).filter((r) => r !== room))];
for (const group of components(rooms, roomNext)) {
  failed = true;
  const members = new Set(group);
  const offending = files.filter((f) => members.has(roomOf(f))).flatMap((f) =>
    edges.get(f).filter((e) => members.has(roomOf(e.to)) && roomOf(e.to) !== roomOf(f))
      .map((e) => `  ${rel(f)}:${e.line} -> ${rel(e.to)}`));
  console.error(`check-floors: rooms in a cycle: ${group.sort().join(', ')} (${offending.length} imports)`);
  console.error(offending.join('\n'));
}

for (const group of components(files, (f) => edges.get(f).map((e) => e.to))) {
  failed = true;
  const members = new Set(group);
  console.error(`check-floors: files in a circle: ${group.map(rel).sort().join(', ')}`);
  for (const f of group) for (const e of edges.get(f)) if (members.has(e.to)) console.error(`  ${rel(f)}:${e.line} -> ${rel(e.to)}`);
}

if (failed) process.exit(1);

// Print the floors, bottom first: a room's floor is one above the highest room it imports.
const floor = new Map();
const floorOf = (room) => {
  if (!floor.has(room)) floor.set(room, Math.max(-1, ...roomNext(room).map(floorOf)) + 1);
  return floor.get(room);
};
const byFloor = [];
for (const room of rooms) (byFloor[floorOf(room)] ??= []).push(room);
if (!process.argv.includes('--quiet')) {
  byFloor.forEach((group, i) => console.log(`floor ${i}: ${group.join(', ')}`));
}
