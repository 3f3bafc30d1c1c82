#!/usr/bin/env node
// ferroprof/sentry from a real install of the packed tarballs into an application, with
// each @sentry/node major the tests use (10.x and 11.x), offline:
//
//   npm run build && node scripts/test-packed-sentry.mjs [--majors 10,11] [--keep]
//
// For each major: the staged `ferroprof` tarball and this platform's `@ferroprof/<tag>`
// tarball (holding the binary `npm run build` made for the running Node) go into a new
// app folder together with `@sentry/node` of that major, installed by `npm ci --offline`
// from a lockfile cut out of the repository's own lockfile, so every tarball comes from
// the npm cache the repository's `npm ci` filled (no network at test time). Then an ES
// module program and a CommonJS program each run Sentry.init with ferroprofIntegration(),
// profile a named function through Sentry.profiler.startProfiler()/stopProfiler(), and
// send to a local ingest. Checked: ferroprof is a folder, not a link; ferroprof/sentry
// loads the app's @sentry/core (the one @sentry/node loads, so getClient() is shared);
// the binary comes from the installed platform package; one chunk holds the function and
// the wait after it (idle samples) and a `sourcemap` image for the program's file (its
// debug ID registered as Sentry's bundler plugins do); the root span (or transaction) is
// linked to it; every envelope passes validateEnvelope.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { invalidEnvelopes, samplesIn, startIngest } from '../__test__/helpers/ingest.mjs';
import { runNpm } from './node-dists.mjs';
import { platformTag } from './platform.mjs';
import { stagePackage } from './stage-package.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const majorsIdx = args.indexOf('--majors');
const majors = majorsIdx >= 0 ? args[majorsIdx + 1].split(',').map(Number) : [10, 11];
const keep = args.includes('--keep');
const tag = platformTag();
const HOT = 'ferroprofPackedSentryHotFunction';
// The named function both installed programs profile.
const HOT_FUNCTION = `function ${HOT}(ms) {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) for (let i = 0; i < 1e4; i++) x = (x * 31 + i) | 0;
  return x;
}`;

const DEBUG_ID = 'c941d872-af1f-4f0c-a7ff-ad3d295fe153';
// Registered as Sentry's bundler plugins do: the program's own file has a debug ID.
const REGISTER_DEBUG_ID = `globalThis._sentryDebugIds = { [new Error().stack]: '${DEBUG_ID}' };`;
// Waiting inside the root span: idle samples, which the chunk keeps.
const WAIT = 'await new Promise((r) => setTimeout(r, 200));';

const binary = join(root, 'npm', tag, `ferroprof.${tag}.abi${process.versions.modules}.node`);
if (!existsSync(join(root, 'dist', 'sentry.js')) || !existsSync(binary)) {
  console.error(`test-packed-sentry: ${existsSync(binary) ? 'dist/sentry.js' : binary} is missing; run "npm run build" first`);
  process.exit(1);
}
const { validateEnvelope } = await import('../dist/testing.js');

let passed = 0;
let failed = 0;
async function check(name, fn) {
  const started = Date.now();
  try {
    const detail = await fn();
    passed++;
    console.log(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)${detail ? `: ${detail}` : ''}`);
  } catch (err) {
    failed++;
    console.log(`FAIL ${name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function run(cmd, argv, options) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 300_000, ...options });
  if (r.status !== 0) {
    const why = r.error?.message ?? (r.signal ? `signal ${r.signal}` : `exit ${r.status}`);
    throw new Error(`${[cmd, ...argv].join(' ')} → ${why}\n${r.stdout ?? ''}${r.stderr ?? ''}`);
  }
  return r.stdout;
}

function runAsync(cmd, argv, options, timeoutMs) {
  return new Promise((resolveRun) => {
    const child = spawn(cmd, argv, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolveRun({ status, signal, stdout, stderr });
    });
  });
}

function sri(file) {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

/**
 * The lockfile entries (path → entry) of `sentry-node-<major>` and everything it needs,
 * from the repository's lockfile, placed as in an app that depends on @sentry/node:
 * the alias folder becomes node_modules/@sentry/node, and what was nested under it is
 * hoisted to the top where that place is free (as npm would place it).
 */
function sentryTree(major) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const packages = lock.packages;
  const start = `node_modules/sentry-node-${major}`;
  if (!packages[start]) throw new Error(`${start} is not in package-lock.json (devDependency sentry-node-${major})`);
  const resolveFrom = (from, dep) => {
    let base = from;
    for (;;) {
      const candidate = `${base}/node_modules/${dep}`;
      if (packages[candidate]) return candidate;
      const at = base.lastIndexOf('/node_modules/');
      if (at < 0) break;
      base = base.slice(0, at);
    }
    return packages[`node_modules/${dep}`] ? `node_modules/${dep}` : undefined;
  };
  const needed = new Set();
  const queue = [start];
  while (queue.length > 0) {
    const path = queue.pop();
    if (needed.has(path)) continue;
    needed.add(path);
    const entry = packages[path];
    const deps = { ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies };
    for (const dep of Object.keys(deps)) {
      const found = resolveFrom(path, dep);
      if (found) queue.push(found);
      else if (
        !entry.optionalDependencies?.[dep] &&
        !entry.peerDependenciesMeta?.[dep]?.optional &&
        !entry.peerDependencies?.[dep]
      ) {
        throw new Error(`${path} needs ${dep}, which the lockfile does not hold`);
      }
    }
  }
  // The repository's lockfile leaves `resolved` out; without it npm would ask the registry
  // for each package's metadata. With the conventional tarball address and the integrity,
  // npm takes the tarball from its cache by digest, offline.
  const registry = runNpm(['config', 'get', 'registry']).trim().replace(/\/+$/, '');
  const tarballUrl = (path, entry) => {
    const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const base = name.startsWith('@') ? name.split('/')[1] : name;
    return `${registry}/${name}/-/${base}-${entry.version}.tgz`;
  };
  const out = {};
  const moved = (path) => (path.startsWith(start) ? `node_modules/@sentry/node${path.slice(start.length)}` : path);
  for (const path of needed) {
    const entry = { ...packages[path] };
    entry.resolved ??= tarballUrl(path, entry);
    delete entry.dev;
    delete entry.devOptional;
    out[moved(path)] = entry;
  }
  // Hoist what sits directly under @sentry/node to the top when that place is free.
  const nested = 'node_modules/@sentry/node/node_modules/';
  for (const own of Object.keys(out).filter((p) => p.startsWith(nested) && !p.slice(nested.length).includes('/node_modules/'))) {
    const name = own.slice(nested.length);
    const top = `node_modules/${name}`;
    if (out[top]) continue;
    for (const p of Object.keys(out)) {
      if (p === own || p.startsWith(`${own}/`)) {
        out[top + p.slice(own.length)] = out[p];
        delete out[p];
      }
    }
  }
  return { tree: out, version: packages[start].version };
}

const work = mkdtempSync(join(tmpdir(), 'ferroprof-sentry-pack-'));
const stage = stagePackage(join(work, 'stage'));
const packJson = (dir) => JSON.parse(runNpm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: dir }))[0];
const rootPack = packJson(stage);
const platformPack = packJson(join(root, 'npm', tag));
const rootTgz = join(work, rootPack.filename);
const platformTgz = join(work, platformPack.filename);
const rootPkg = JSON.parse(readFileSync(join(stage, 'package.json'), 'utf8'));
const platformPkg = JSON.parse(readFileSync(join(root, 'npm', tag, 'package.json'), 'utf8'));

await check(`packed ${rootPack.filename} declares ./sentry and optional @sentry peers`, () => {
  const files = rootPack.files.map((f) => f.path);
  for (const f of ['dist/sentry.js', 'dist/sentry.cjs', 'dist/sentry.d.ts'])
    if (!files.includes(f)) throw new Error(`${f} is not in the tarball`);
  if (!rootPkg.exports?.['./sentry']) throw new Error('no ./sentry export');
  for (const p of ['@sentry/node', '@sentry/core']) {
    if (!rootPkg.peerDependencies?.[p] || rootPkg.peerDependenciesMeta?.[p]?.optional !== true)
      throw new Error(`${p} is not an optional peer`);
  }
  const bundled = readFileSync(join(stage, 'dist', 'sentry.js'), 'utf8');
  if (!/from ["']@sentry\/core["']/.test(bundled)) throw new Error('dist/sentry.js does not import @sentry/core (bundled?)');
  return `peers ${rootPkg.peerDependencies['@sentry/node']}`;
});

const ESM_PROGRAM = `
import * as Sentry from '@sentry/node';
import { ferroprofIntegration, getProfilerStats } from 'ferroprof/sentry';
import { createRequire } from 'node:module';
import { readFileSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
${HOT_FUNCTION}
${REGISTER_DEBUG_ID}
Sentry.init({ dsn: process.env.DSN, tracesSampleRate: 1, profileSessionSampleRate: 1, integrations: [ferroprofIntegration()] });
Sentry.profiler.startProfiler();
await Sentry.startSpan({ name: 'packed-root', op: 'test' }, async () => {
  for (let i = 0; i < 30; i++) { ${HOT}(10); await new Promise((r) => setImmediate(r)); }
  ${WAIT}
});
Sentry.profiler.stopProfiler();
const flushed = await Sentry.flush(10000);
const stats = getProfilerStats();
const req = createRequire(import.meta.url);
const sentryEntry = req.resolve('ferroprof/sentry');
const coreOfFerroprof = realpathSync(createRequire(sentryEntry).resolve('@sentry/core'));
const coreOfSentry = realpathSync(createRequire(req.resolve('@sentry/node')).resolve('@sentry/core'));
const mapped = readFileSync('/proc/self/maps', 'utf8').split('\\n').find((l) => l.includes('ferroprof.'))?.split(' ').pop();
await Sentry.close(2000);
console.log('RESULT ' + JSON.stringify({ flushed, stats, sentryEntry, coreOfFerroprof, coreOfSentry, mapped, coreVersion: Sentry.SDK_VERSION }));
`;

const CJS_PROGRAM = `
const Sentry = require('@sentry/node');
const { ferroprofIntegration, getProfilerStats } = require('ferroprof/sentry');
const { realpathSync } = require('node:fs');
const { createRequire } = require('node:module');
${HOT_FUNCTION}
${REGISTER_DEBUG_ID}
(async () => {
  Sentry.init({ dsn: process.env.DSN, tracesSampleRate: 1, profileSessionSampleRate: 1, integrations: [ferroprofIntegration()] });
  Sentry.profiler.startProfiler();
  await Sentry.startSpan({ name: 'packed-root', op: 'test' }, async () => {
    for (let i = 0; i < 30; i++) { ${HOT}(10); await new Promise((r) => setImmediate(r)); }
    ${WAIT}
  });
  Sentry.profiler.stopProfiler();
  const flushed = await Sentry.flush(10000);
  const stats = getProfilerStats();
  const sentryEntry = require.resolve('ferroprof/sentry');
  const coreOfFerroprof = realpathSync(createRequire(sentryEntry).resolve('@sentry/core'));
  const coreOfSentry = realpathSync(createRequire(require.resolve('@sentry/node')).resolve('@sentry/core'));
  await Sentry.close(2000);
  console.log('RESULT ' + JSON.stringify({ flushed, stats, sentryEntry, coreOfFerroprof, coreOfSentry, coreVersion: Sentry.SDK_VERSION }));
})();
`;

for (const major of majors) {
  const app = join(work, `app-sentry${major}`);
  mkdirSync(app);
  let version;
  await check(`@sentry/node ${major}.x: npm ci --offline of the packed tarballs and @sentry/node`, () => {
    const cut = sentryTree(major);
    version = cut.version;
    const rootFile = `file:${rootPack.filename}`;
    const platformFile = `file:${platformPack.filename}`;
    run('cp', [rootTgz, platformTgz, app]);
    const deps = { '@sentry/node': version, ferroprof: rootFile, [platformPkg.name]: platformFile };
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: `sentry${major}-app`, version: '1.0.0', private: true, dependencies: deps }, null, 2),
    );
    const lock = {
      name: `sentry${major}-app`,
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: `sentry${major}-app`, version: '1.0.0', dependencies: deps },
        ...cut.tree,
        'node_modules/ferroprof': {
          version: rootPkg.version,
          resolved: rootFile,
          integrity: sri(rootTgz),
          hasInstallScript: true,
          license: rootPkg.license,
          // The other platforms' packages are skipped on this machine; the lock names this one.
          optionalDependencies: { [platformPkg.name]: platformPkg.version },
          peerDependencies: rootPkg.peerDependencies,
          peerDependenciesMeta: rootPkg.peerDependenciesMeta,
          engines: rootPkg.engines,
        },
        [`node_modules/${platformPkg.name}`]: {
          version: platformPkg.version,
          resolved: platformFile,
          integrity: sri(platformTgz),
          ...(platformPkg.os && { os: platformPkg.os }),
          ...(platformPkg.cpu && { cpu: platformPkg.cpu }),
          ...(platformPkg.libc && { libc: platformPkg.libc }),
        },
      },
    };
    writeFileSync(join(app, 'package-lock.json'), JSON.stringify(lock, null, 2));
    // Offline: every tarball must come from the cache the repository's npm ci filled.
    runNpm(['ci', '--offline', '--no-audit', '--no-fund'], {
      cwd: app,
      env: { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (lstatSync(join(app, 'node_modules', 'ferroprof')).isSymbolicLink()) throw new Error('node_modules/ferroprof is a link');
    const installed = JSON.parse(readFileSync(join(app, 'node_modules', '@sentry', 'node', 'package.json'), 'utf8')).version;
    if (installed !== version) throw new Error(`installed @sentry/node ${installed}, wanted ${version}`);
    return `@sentry/node ${installed}, ${Object.keys(cut.tree).length} packages`;
  });

  for (const [kind, file, program] of [
    ['ESM', 'app.mjs', ESM_PROGRAM],
    ['CommonJS', 'app.cjs', CJS_PROGRAM],
  ]) {
    await check(`@sentry/node ${major}.x, ${kind}: profiles through the installed ferroprof/sentry`, async () => {
      writeFileSync(join(app, file), program);
      const ingest = await startIngest();
      try {
        // Not spawnSync: the ingest answers from this process's event loop.
        const r = await runAsync(process.execPath, [file], { cwd: app, env: { ...process.env, DSN: ingest.dsn } }, 120_000);
        if (r.status !== 0) throw new Error(`exit ${r.status} ${r.signal ?? ''}\n${r.stderr}`);
        const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
        if (!line) throw new Error(`no RESULT line:\n${r.stdout}\n${r.stderr}`);
        const res = JSON.parse(line.slice(7));
        if (!res.flushed) throw new Error('Sentry.flush() did not resolve true');
        if (!res.sentryEntry.startsWith(join(app, 'node_modules', 'ferroprof')))
          throw new Error(`ferroprof/sentry resolved to ${res.sentryEntry}`);
        if (res.coreOfFerroprof !== res.coreOfSentry)
          throw new Error(`two copies of @sentry/core: ${res.coreOfFerroprof} and ${res.coreOfSentry}`);
        if (!res.coreOfFerroprof.startsWith(join(app, 'node_modules')))
          throw new Error(`@sentry/core from outside the app: ${res.coreOfFerroprof}`);
        if (res.coreVersion !== version) throw new Error(`SDK_VERSION ${res.coreVersion}`);
        if (res.mapped !== undefined && !res.mapped.startsWith(join(app, 'node_modules', platformPkg.name)))
          throw new Error(`binary loaded from ${res.mapped}`);
        if (res.stats.role !== 'host' || res.stats.chunksSent !== 1)
          throw new Error(`stats: role ${res.stats.role}, ${res.stats.chunksSent} chunks sent`);
        const bad = invalidEnvelopes(ingest, validateEnvelope);
        if (bad.length > 0) throw new Error(`refused envelope: ${bad[0].error}`);
        const chunks = ingest.payloads('profile_chunk');
        if (chunks.length !== 1) throw new Error(`${chunks.length} chunks`);
        const hot = samplesIn(chunks[0], HOT);
        if (hot < 5) throw new Error(`${hot} samples in ${HOT}`);
        const { frames, stacks, samples } = chunks[0].profile;
        const idle = samples.filter(
          (s) => stacks[s.stack_id].length === 1 && frames[stacks[s.stack_id][0]].function === '(idle)',
        ).length;
        if (idle < 2) throw new Error(`${idle} (idle) samples for a 200 ms wait`);
        const images = JSON.stringify((chunks[0].debug_meta?.images ?? []).map((i) => [i.type, i.code_file, i.debug_id]));
        const expected = JSON.stringify([['sourcemap', join(app, file), DEBUG_ID]]);
        if (images !== expected) throw new Error(`debug_meta.images ${images}, expected ${expected}`);
        const txn = ingest.payloads('transaction').find((x) => x.transaction === 'packed-root');
        const span = ingest
          .items('span')
          .flatMap((i) => i.json?.items ?? [])
          .find((s) => s.name === 'packed-root');
        const link = txn?.contexts?.profile?.profiler_id ?? span?.attributes?.['sentry.profiler_id']?.value;
        if (link !== chunks[0].profiler_id)
          throw new Error(`packed-root is linked to ${link}, the chunk is ${chunks[0].profiler_id}`);
        return `${hot} samples in ${HOT}, ${idle} idle, debug_meta, root ${txn ? 'transaction' : 'span'} linked`;
      } finally {
        await ingest.close();
      }
    });
  }
}

if (!keep) rmSync(work, { recursive: true, force: true });
else console.log(`kept ${work}`);
console.log(`test-packed-sentry: ${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
