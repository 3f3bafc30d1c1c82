#!/usr/bin/env node
// Fails when modules import each other in a cycle, in the Rust crates or in src/.
//
//   node scripts/check-cycles.mjs          # both; exit 1 and the cycles on stderr
//
// Rust: an edge A → B for every `use` and every inline `crate::`/`super::`/`self::`
// path in A's file that names module B or an item B defines (items a parent module
// only re-exports with `pub use` are followed to the module that defines them; a
// child naming its parent's own items is an edge to the parent). Declaring a child
// (`mod b;`) is not an edge. Other crates are not followed: Cargo keeps those acyclic.
// TypeScript: an edge for every relative `import`/`export … from` and `import()` that
// exists at run time; type-only ones (`import type`, `export type`, `import('./x').T`
// in a type) are left out, as TypeScript erases them (two classes that name each
// other's types, such as a transaction and its profile, are no cycle).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function walk(dir, ext) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p, ext));
    else if (p.endsWith(ext)) out.push(p);
  }
  return out;
}

/**
 * Code without comments, and string and char literals emptied (so `//! see crate::x`
 * is no edge), except a string that is a path (`#[serde(with = "super::decimal")]`).
 */
function stripRust(text) {
  let out = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      let depth = 0;
      do {
        if (text[i] === '/' && text[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (text[i] === '*' && text[i + 1] === '/') {
          depth--;
          i += 2;
        } else i++;
      } while (i < n && depth > 0);
    } else if (c === 'r' && (next === '"' || next === '#') && !/\w/.test(text[i - 1] ?? '')) {
      // A raw string: r"…", r#"…"#.
      let j = i + 1;
      let hashes = 0;
      while (text[j] === '#') {
        hashes++;
        j++;
      }
      if (text[j] !== '"') {
        out += c;
        i++;
        continue;
      }
      const close = `"${'#'.repeat(hashes)}`;
      const end = text.indexOf(close, j + 1);
      i = end < 0 ? n : end + close.length;
      out += '""';
    } else if (c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const body = text.slice(i + 1, j);
      out += /^(super|crate|self)(::\w+)+$/.test(body) ? ` ${body} ` : '""';
      i = j + 1;
    } else if (c === "'" && (next === '\\' || text[i + 2] === "'")) {
      // A char literal ('"', '\''); a lifetime ('a) is left as code.
      let j = i + 1;
      if (text[j] === '\\') j += 2;
      while (j < n && text[j] !== "'") j++;
      i = j + 1;
      out += "' '";
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Code without inline modules (`mod tests { … }`): their paths are relative to them. */
function withoutInlineModules(text) {
  let out = text;
  for (let m = /\bmod\s+\w+\s*\{/.exec(out); m; m = /\bmod\s+\w+\s*\{/.exec(out)) {
    let depth = 0;
    let end = m.index + m[0].length - 1;
    for (; end < out.length; end++) {
      if (out[end] === '{') depth++;
      else if (out[end] === '}' && --depth === 0) break;
    }
    out = out.slice(0, m.index) + out.slice(end + 1);
  }
  return out;
}

/** Expands `a::{b, c::{d, e}}` into `a::b`, `a::c::d`, `a::c::e`. */
function expandUse(tree) {
  const t = tree.replace(/\s+/g, '');
  const open = t.indexOf('{');
  if (open < 0) return [t.replace(/::\*$/, '').replace(/\bas\w+$/, '')];
  const prefix = t.slice(0, open);
  const inner = t.slice(open + 1, t.lastIndexOf('}'));
  const parts = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    if (inner[i] === '{') depth++;
    else if (inner[i] === '}') depth--;
    else if (inner[i] === ',' && depth === 0) {
      parts.push(inner.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(inner.slice(start));
  return parts.filter((p) => p !== '').flatMap((p) => expandUse(p === 'self' ? prefix.replace(/::$/, '') : prefix + p));
}

function rustGraph() {
  const graph = new Map();
  for (const crateDir of readdirSync(join(root, 'crates'))) {
    const src = join(root, 'crates', crateDir, 'src');
    if (!existsSync(src)) continue;
    const files = walk(src, '.rs');
    // Module path (segments below the crate root) of each file.
    const modOf = new Map();
    const fileOf = new Map();
    for (const f of files) {
      const rel = relative(src, f).replace(/\.rs$/, '').split('/');
      if (rel.at(-1) === 'mod' || (rel.length === 1 && (rel[0] === 'lib' || rel[0] === 'main'))) rel.pop();
      if (rel.length === 1 && rel[0] === 'build') continue;
      const key = rel.join('::');
      modOf.set(f, rel);
      fileOf.set(key, f);
    }
    const code = new Map(files.map((f) => [f, withoutInlineModules(stripRust(readFileSync(f, 'utf8')))]));
    // Names each module re-exports from a child: `pub use child::{a, b}`.
    const reexports = new Map();
    for (const [f, text] of code) {
      const m = modOf.get(f);
      if (!m) continue;
      const map = new Map();
      for (const [, tree] of text.matchAll(/\bpub\s+use\s+([^;]+);/g)) {
        for (const path of expandUse(tree)) {
          const segs = path.split('::');
          if (segs[0] === 'self') segs.shift();
          if (segs.length >= 2 && fileOf.has([...m, segs[0]].join('::')))
            map.set(segs.at(-1).replace(/as\w+$/, ''), [...m, segs[0]]);
        }
      }
      reexports.set(m.join('::'), map);
    }
    const resolvePath = (from, path) => {
      const segs = path.split('::').filter(Boolean);
      // A path relative to this module names a child first (`pub use child::x`).
      if (segs.length > 0 && fileOf.has([...from, segs[0]].join('::'))) segs.unshift('self');
      let base;
      if (segs[0] === 'crate') base = [];
      else if (segs[0] === 'super' || segs[0] === 'self') {
        // `super` of a file module is its parent; `self` is the module itself.
        base = [...from];
        while (segs[0] === 'super' || segs[0] === 'self') {
          if (segs.shift() === 'super') base.pop();
        }
        segs.unshift('·');
      } else return undefined;
      segs.shift();
      let mod = base;
      for (const s of segs) {
        const next = [...mod, s];
        if (fileOf.has(next.join('::'))) {
          mod = next;
          continue;
        }
        // An item: defined here, or re-exported from a child that defines it.
        const via = reexports.get(mod.join('::'))?.get(s);
        if (via) mod = via;
        break;
      }
      return mod.join('::');
    };
    for (const [f, text] of code) {
      const from = modOf.get(f);
      if (!from) continue;
      const key = `${crateDir}::${from.join('::')}`;
      const edges = graph.get(key) ?? new Set();
      graph.set(key, edges);
      const paths = [];
      for (const [, tree] of text.matchAll(/\buse\s+([^;]*);/g)) paths.push(...expandUse(tree));
      for (const [p] of text.matchAll(/\b(?:crate|super|self)(?:::\w+)+/g)) paths.push(p);
      for (const p of paths) {
        const to = resolvePath(from, p);
        if (to === undefined) continue;
        const toKey = `${crateDir}::${to}`;
        // A module and its own inline `mod tests` are one file: no edge.
        if (toKey !== key) edges.add(toKey);
      }
    }
  }
  return graph;
}

function tsGraph() {
  const src = join(root, 'src');
  const graph = new Map();
  for (const f of walk(src, '.ts')) {
    const text = readFileSync(f, 'utf8');
    const key = relative(root, f);
    const edges = new Set();
    graph.set(key, edges);
    const specs = [
      ...[...text.matchAll(/\b(import|export)\s([^'"]*?)\sfrom\s+['"](\.[^'"]+)['"]/g)]
        .filter((m) => !/^type\s/.test(m[2]))
        .map((m) => m[3]),
      ...[...text.matchAll(/\bimport\s+['"](\.[^'"]+)['"]/g)].map((m) => m[1]),
      // `import('./x.js').T` names a type; `import('./x.js')` alone loads the module.
      ...[...text.matchAll(/\bimport\(\s*['"](\.[^'"]+)['"]\s*\)(?!\.[A-Z])/g)].map((m) => m[1]),
    ];
    for (const spec of specs) {
      const base = resolve(dirname(f), spec).replace(/\.js$/, '');
      const target = [`${base}.ts`, `${base}.d.ts`, join(base, 'index.ts')].find((p) => existsSync(p));
      if (target) edges.add(relative(root, target));
    }
  }
  return graph;
}

/** The strongly connected components with more than one module (Tarjan). */
function cycles(graph) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const out = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

let failed = false;
for (const [name, graph] of [
  ['Rust', rustGraph()],
  ['TypeScript', tsGraph()],
]) {
  const found = cycles(graph);
  const edges = [...graph.values()].reduce((n, e) => n + e.size, 0);
  if (found.length === 0) {
    console.log(`check-cycles: ${name}: ${graph.size} modules, ${edges} edges, no cycle`);
    continue;
  }
  failed = true;
  for (const scc of found) {
    const inScc = new Set(scc);
    console.error(`check-cycles: ${name}: modules in a cycle:`);
    for (const m of scc) console.error(`  ${m} → ${[...graph.get(m)].filter((t) => inScc.has(t)).join(', ')}`);
  }
}
process.exit(failed ? 1 : 0);
