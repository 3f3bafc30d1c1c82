// Real work by code nobody here wrote, installed from npm as bench/'s devDependencies:
// a parser (acorn), a compiler (the TypeScript API), a formatter (prettier) and an HTTP
// JSON service (fastify). Each batch workload runs in units (one parse, one compile, one
// format) so the transaction-profiling variant can wrap every unit in a transaction.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');

/** TypeScript's own 9 MB compiler bundle: a big, real input for the parser and formatter. */
function typescriptJs() {
  return readFileSync(require.resolve('typescript/lib/typescript.js'), 'utf8');
}

/**
 * acorn parsing `lib/typescript.js` with locations: allocation-heavy (about 40 % of the
 * wall time in GC on Node 20), the case where profilers differ most.
 */
export async function acorn(unit, scale) {
  const { parse } = await import('acorn');
  const source = typescriptJs();
  const reps = Math.max(1, Math.round(3 * scale));
  let nodes = 0;
  for (let i = 0; i < reps; i++) {
    nodes += unit('acorn.parse', () => parse(source, { ecmaVersion: 'latest', locations: true }).body.length);
  }
  return { units: reps, check: nodes };
}

/** The TypeScript compiler API type-checking and emitting a small real project (ferroprof's own src/). */
export async function tsc(unit, scale) {
  const ts = require('typescript');
  const srcDir = join(repo, 'src');
  const files = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) files.push(p);
    }
  };
  walk(srcDir);
  const options = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    declaration: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [join(repo, 'node_modules', '@types')],
  };
  const reps = Math.max(1, Math.round(1 * scale));
  let emitted = 0;
  for (let i = 0; i < reps; i++) {
    emitted += unit('ts.compile', () => {
      const program = ts.createProgram(files, options);
      ts.getPreEmitDiagnostics(program);
      let n = 0;
      program.emit(undefined, () => {
        n++;
      });
      return n;
    });
  }
  return { units: reps, check: emitted };
}

/** prettier formatting acorn's own 250 KB distribution file. */
export async function prettier(unit, scale) {
  const { format } = await import('prettier');
  const source = readFileSync(require.resolve('acorn'), 'utf8');
  const reps = Math.max(1, Math.round(3 * scale));
  let chars = 0;
  for (let i = 0; i < reps; i++) {
    chars += (await unit('prettier.format', () => format(source, { parser: 'babel' }))).length;
  }
  return { units: reps, check: chars };
}

/**
 * A fastify JSON service: each request builds, filters and sorts a list of records and
 * serializes it with a response schema (fast-json-stringify), as a typical API does.
 * Returns the listening server; the load comes from the parent process.
 */
export async function httpService(wrap) {
  const Fastify = (await import('fastify')).default;
  const app = Fastify({ logger: false });
  const item = {
    type: 'object',
    properties: {
      id: { type: 'integer' },
      name: { type: 'string' },
      tags: { type: 'array', items: { type: 'string' } },
      score: { type: 'number' },
      owner: { type: 'object', properties: { id: { type: 'integer' }, email: { type: 'string' } } },
    },
  };
  app.get(
    '/items',
    {
      schema: {
        response: { 200: { type: 'object', properties: { total: { type: 'integer' }, items: { type: 'array', items: item } } } },
      },
    },
    async (req) => {
      const n = Number(req.query.n ?? 200);
      return wrap('GET /items', () => {
        const items = [];
        for (let i = 0; i < n; i++) {
          items.push({
            id: i,
            name: `item-${i}-${req.id}`,
            tags: [`t${i % 7}`, `g${i % 13}`],
            score: Math.sin(i) * 100,
            owner: { id: i % 17, email: `user${i % 17}@example.com` },
          });
        }
        const kept = items.filter((x) => x.score > -50).sort((a, b) => b.score - a.score);
        return { total: kept.length, items: kept };
      });
    },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { port: app.server.address().port, close: () => app.close() };
}

export const BATCH = { acorn, tsc, prettier };
