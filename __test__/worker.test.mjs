import test from 'ava';
import { Worker } from 'node:worker_threads';

import { openWindow, startSampling, stopSampling } from '../dist/sampler.js';
import { cpuBudget, framesNamed, samplesIn } from './helpers/busy.mjs';

// On the thread's own CPU time, like the worker's: a loaded machine still gives it its samples.
function busyMainFunction(ms) {
  const more = cpuBudget(ms);
  let x = 0;
  while (more()) x += Math.sqrt(x + 1);
  return x;
}

const workerSource = `
  import { parentPort } from 'node:worker_threads';
  import { startSampling, stopSampling } from ${JSON.stringify(new URL('../dist/sampler.js', import.meta.url).href)};
  import { cpuBudget } from ${JSON.stringify(new URL('./helpers/busy.mjs', import.meta.url).href)};
  // On the worker's own CPU time: a loaded machine still gives it its samples.
  function busyWorkerFunction(ms) {
    const more = cpuBudget(ms);
    let x = 0;
    while (more()) x += Math.sqrt(x + 1);
    return x;
  }
  startSampling(101);
  parentPort.postMessage('started');
  busyWorkerFunction(300);
  stopSampling();
  parentPort.postMessage('done');
`;

test('a worker is profiled as its own thread while the main thread is busy too', async (t) => {
  startSampling(101);
  const window = openWindow();
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(workerSource)}`));
  const workerThreadId = worker.threadId;
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  await new Promise((resolve) => worker.once('message', resolve));
  busyMainFunction(300);
  await exited;
  const profile = await window.close();
  stopSampling();

  t.deepEqual(Object.keys(profile.threadNames).sort(), ['0', String(workerThreadId)].sort());
  t.is(profile.threadNames[String(workerThreadId)], `worker ${workerThreadId}`);
  t.true(samplesIn(profile, 0, 'busyMainFunction') >= 10, 'main thread samples its own function');
  t.true(samplesIn(profile, workerThreadId, 'busyWorkerFunction') >= 10, 'worker samples its own function');
  t.is(samplesIn(profile, workerThreadId, 'busyMainFunction'), 0);
  t.is(samplesIn(profile, 0, 'busyWorkerFunction'), 0);
  t.true(framesNamed(profile, 'busyWorkerFunction').length > 0);
});
