import test from 'ava';
import { Worker } from 'node:worker_threads';

import { close, init, startProfiler, stopProfiler } from '../dist/index.js';
import { validateEnvelope } from '../dist/testing.js';
import { busyWithYields } from './helpers/busy.mjs';
import { collectingTransport, itemsOfType } from './helpers/envelopes.mjs';

const entry = new URL('../dist/index.js', import.meta.url).href;
const workerSource = (ms) => `
  import ${JSON.stringify(entry)};
  import { parentPort } from 'node:worker_threads';
  import { cpuBudget } from ${JSON.stringify(new URL('./helpers/busy.mjs', import.meta.url).href)};
  // On the worker's CPU time: a loaded machine still gives it its samples.
  function busyWorkerFunction(ms) {
    const more = cpuBudget(ms);
    let x = 0;
    while (more()) x += Math.sqrt(x + 1);
    return x;
  }
  busyWorkerFunction(${ms});
  parentPort.postMessage('done');
`;

function spawn(ms) {
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(workerSource(ms))}`));
  return { threadId: worker.threadId, exited: new Promise((resolve) => worker.once('exit', resolve)) };
}

test('workers that load ferroprof are threads of the session, also when they exit mid-chunk', async (t) => {
  const envelopes = [];
  const raw = [];
  init({ transport: collectingTransport(envelopes, raw), _experiments: { chunkDurationMs: 60_000 } });
  startProfiler();
  const a = spawn(400);
  const b = spawn(150); // exits long before the chunk ends
  await Promise.all([a.exited, b.exited]);
  await busyWithYields(100, 10);
  await stopProfiler();
  t.true(await close(5000));

  for (const bytes of raw) t.notThrows(() => validateEnvelope(bytes));
  const chunks = itemsOfType(envelopes, 'profile_chunk').map((i) => i.payload);
  t.is(chunks.length, 1);
  const chunk = chunks[0];
  for (const w of [a, b]) {
    const id = String(w.threadId);
    t.is(chunk.profile.thread_metadata[id]?.name, `worker ${id}`, `thread ${id} is named`);
    const frames = chunk.profile.frames;
    const inBusy = chunk.profile.samples.filter(
      (s) => s.thread_id === id && chunk.profile.stacks[s.stack_id].some((f) => frames[f].function === 'busyWorkerFunction'),
    ).length;
    t.true(inBusy >= 8, `worker ${id}: ${inBusy} samples in busyWorkerFunction`);
  }
  t.truthy(chunk.profile.thread_metadata['0'], 'the main thread is there too');
});
