// Every public subpath type-checks for a TypeScript application under each
// `moduleResolution` a project may use (node10 — "node", the setting of Sentry's own e2e
// apps —, node16, nodenext, bundler), from CommonJS and from ES modules. The apps import
// the package by name from a node_modules folder that holds it as it is published
// (package.json and dist).
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import test from 'ava';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/** One use of each subpath, so a missing or `any` type fails under --strict. */
const USES = `
const integration = ferroprofIntegration({ frequency: 101 });
const name: 'ProfilingIntegration' = integration.name;
const hz: number = getProfilerStats().frequency;
const started: boolean = typeof init === 'function' && typeof startProfiler === 'function';
const sampling: boolean = isSampling();
const parsed: number = parseEnvelope(new Uint8Array()).items.length;
const check: typeof validateEnvelope = validateEnvelope;
export const used = [name, hz, started, sampling, parsed, check];
`;
const ESM_IMPORTS = `import { init, startProfiler } from 'ferroprof';
import { isSampling } from 'ferroprof/sampler';
import { parseEnvelope } from 'ferroprof/transport';
import { validateEnvelope } from 'ferroprof/testing';
import { ferroprofIntegration, getProfilerStats } from 'ferroprof/sentry';
`;
const CJS_IMPORTS = `import ferroprof = require('ferroprof');
import sampler = require('ferroprof/sampler');
import transport = require('ferroprof/transport');
import testing = require('ferroprof/testing');
import sentry = require('ferroprof/sentry');
const { init, startProfiler } = ferroprof;
const { isSampling } = sampler;
const { parseEnvelope } = transport;
const { validateEnvelope } = testing;
const { ferroprofIntegration, getProfilerStats } = sentry;
`;

const SETTINGS = [
  // [label, module, moduleResolution, package type, file, imports]
  ['node10, CommonJS', 'commonjs', 'node10', 'commonjs', 'app.ts', CJS_IMPORTS],
  ['node10, ES module syntax', 'es2022', 'node10', 'commonjs', 'app.ts', ESM_IMPORTS],
  ['node ("node" alias of node10), CommonJS', 'commonjs', 'node', 'commonjs', 'app.ts', CJS_IMPORTS],
  ['node16, CommonJS', 'node16', 'node16', 'commonjs', 'app.cts', CJS_IMPORTS],
  ['node16, ESM', 'node16', 'node16', 'module', 'app.mts', ESM_IMPORTS],
  ['nodenext, CommonJS', 'nodenext', 'nodenext', 'commonjs', 'app.cts', CJS_IMPORTS],
  ['nodenext, ESM', 'nodenext', 'nodenext', 'module', 'app.mts', ESM_IMPORTS],
  ['bundler, ESM', 'esnext', 'bundler', 'module', 'app.ts', ESM_IMPORTS],
  ['bundler, CommonJS (module preserve)', 'preserve', 'bundler', 'commonjs', 'app.ts', CJS_IMPORTS],
];

let work;
test.before(() => {
  work = mkdtempSync(join(tmpdir(), 'ferroprof-types-'));
});
test.after.always(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

for (const [label, module, moduleResolution, type, file, imports] of SETTINGS) {
  test.serial(`types resolve for every subpath: moduleResolution ${label}`, async (t) => {
    t.timeout(180_000);
    const app = join(work, label.replace(/[^a-z0-9]+/gi, '-'));
    const pkg = join(app, 'node_modules', 'ferroprof');
    mkdirSync(pkg, { recursive: true });
    // As published: package.json and dist (the other folders hold no types).
    symlinkSync(join(root, 'package.json'), join(pkg, 'package.json'));
    symlinkSync(join(root, 'dist'), join(pkg, 'dist'), 'dir');
    // @sentry/core and @types/node, where an application has them.
    symlinkSync(join(root, 'node_modules', '@sentry'), join(app, 'node_modules', '@sentry'), 'dir');
    symlinkSync(join(root, 'node_modules', '@types'), join(app, 'node_modules', '@types'), 'dir');
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'types-app', private: true, type }));
    writeFileSync(join(app, file), imports + USES);
    const argv = [
      tsc,
      '--noEmit',
      '--strict',
      '--module',
      module,
      '--moduleResolution',
      moduleResolution,
      '--target',
      'es2022',
      '--types',
      'node',
      file,
    ];
    const r = await new Promise((done) => {
      execFile(process.execPath, argv, { cwd: app, encoding: 'utf8', timeout: 170_000 }, (error, stdout, stderr) =>
        done({ error, stdout, stderr }),
      );
    });
    t.is(r.error, null, `tsc (${label}):\n${r.stdout}${r.stderr}`);
  });
}
