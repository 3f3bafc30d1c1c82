#!/usr/bin/env node
// Records the command log of crates/wasm/tests/fixtures/engine-replay.jsonl: real
// node:inspector profiles of a small workload, turned into the engine's batches by the
// fallback's own adapter (dist/internal.js `batchOf`), with the windows a transaction,
// a continuous session, an explicit v2 close and a raw window make. Paths are rewritten
// under /app and the metadata is fixed, so the log names nothing of this machine.
//
//   npm run build && node scripts/record-engine-fixture.mjs
//   FERROPROF_BLESS=1 cargo test -p ferroprof-wasm     # the native transcript
import { writeFileSync } from 'node:fs';
import { Session, console as inspectorConsole } from 'node:inspector';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { batchOf } from '../dist/internal.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'crates', 'wasm', 'tests', 'fixtures', 'engine-replay.jsonl');
const INTERVAL_US = 2000;

const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: INTERVAL_US });
let finished;
session.on('Profiler.consoleProfileFinished', (m) => {
  finished = m.params.profile;
});

const rootUrl = pathToFileURL(root).href;
/** The node's script, as if the repository were /app. */
const anonymise = (url) => url.replace(rootUrl, 'file:///app').replace(root, '/app');

const now = () => Number(process.hrtime.bigint());
const log = [];
const mono = process.hrtime.bigint();
log.push({ op: 'init', anchor: { monoNs: String(mono), unixNs: '1765000000000000000' }, appRoot: '/app' });
log.push({ op: 'configure', maxStackDepth: 128, maxSamples: 250000, maxBytes: 67108864, pruneMarginNs: 2000000000 });
log.push({
  op: 'profileMeta',
  json: JSON.stringify({
    sdk: { name: 'ferroprof', version: '0.1.0' },
    runtime: { name: 'node', version: 'v22.0.0' },
    os: { name: 'linux', version: '6.1.0' },
    device: { architecture: 'x86_64' },
    release: 'app@1.0.0',
    environment: 'test',
    debugIds: { '/app/scripts/record-engine-fixture.mjs': '0c6a2b4c-0000-4000-8000-000000000001' },
  }),
});
log.push({ op: 'threadStarted', threadId: 0, name: 'main' });

let n = 0;
inspectorConsole.profile(`p${n}`);
const t0 = now();
const wait = 5_000_000_000;
log.push({ op: 'open', id: 1, startNs: t0, limit: { maxNs: 30_000_000_000, waitNs: wait } });
log.push({
  op: 'open',
  id: 2,
  startNs: t0,
  chunk: { periodNs: 150_000_000, profilerId: '5f0e2c9a8b7d4e3f9a1b2c3d4e5f6a7b', waitNs: wait },
});
log.push({ op: 'open', id: 3, startNs: t0 });
log.push({ op: 'open', id: 4, startNs: t0 });

function fib(k) {
  return k < 2 ? k : fib(k - 1) + fib(k - 2);
}
function parseWork() {
  let total = 0;
  for (let i = 0; i < 200; i++) total += JSON.parse(JSON.stringify({ a: [i, i + 1, { b: 'x'.repeat(64) }] })).a[0];
  return total;
}
function busy(ms) {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += fib(18) + parseWork();
  return x;
}

function rotate() {
  inspectorConsole.profile(`p${n + 1}`);
  finished = undefined;
  inspectorConsole.profileEnd(`p${n}`);
  n += 1;
  const batch = batchOf(finished, 0, INTERVAL_US);
  for (const node of batch.nodes) node.url = anonymise(node.url);
  log.push(batch);
}

for (let r = 0; r < 4; r++) {
  busy(120);
  log.push({ op: 'reading', monoNs: now(), cpu: 40 + r, rss: 100_000_000 + r * 4096 });
  rotate();
  log.push({ op: 'poll', nowNs: now() });
}
const end = now();
log.push({
  op: 'close',
  id: 1,
  endNs: end,
  nowNs: end,
  activeThreadId: 0,
  ticket: 1,
  encoding: 'v1',
  meta: JSON.stringify({
    profileId: '8d3e6f1a2b3c4d5e8f9a0b1c2d3e4f5a',
    id: '1a2b3c4d5e6f4a5b8c9d0e1f2a3b4c5d',
    name: 'GET /fixture',
    traceId: '2b3c4d5e6f7a4b5c9d0e1f2a3b4c5d6e',
  }),
  waitNs: wait,
});
log.push({ op: 'close', id: 2, endNs: end, nowNs: end, activeThreadId: 0, ticket: 2, encoding: 'raw', waitNs: wait });
log.push({
  op: 'close',
  id: 3,
  endNs: end,
  nowNs: end,
  activeThreadId: 0,
  ticket: 3,
  encoding: 'v2',
  meta: JSON.stringify({ profilerId: '5f0e2c9a8b7d4e3f9a1b2c3d4e5f6a7b', chunkId: '3c4d5e6f7a8b4c5d8e0f1a2b3c4d5e6f' }),
  waitNs: wait,
});
log.push({ op: 'close', id: 4, endNs: end, nowNs: end, activeThreadId: 0, ticket: 4, encoding: 'raw', waitNs: wait });
busy(10);
rotate();
log.push({ op: 'poll', nowNs: now() });
inspectorConsole.profileEnd(`p${n}`);

writeFileSync(out, `${log.map((c) => JSON.stringify(c)).join('\n')}\n`);
console.log(
  `${out}: ${log.length} commands, ${log.filter((c) => c.op === 'batch').reduce((s, b) => s + b.samples.length, 0)} samples`,
);
