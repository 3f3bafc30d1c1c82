// Delivery under faults (issue 21): a stalled ingest costs what it holds, not what
// comes after it; close and flush end on time whatever the sampler, workers or ingest
// do, say `true` only when everything was delivered, and count the rest.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import test from 'ava';

import { HttpTransport, toTransport } from '../dist/transport.js';

const ENTRY = new URL('../dist/index.js', import.meta.url).href;
const SAMPLER = new URL('../dist/sampler.js', import.meta.url).href;

/**
 * An ingest whose first `stalled` requests get their answer one byte a second (a
 * status line that never completes in time); every later request is answered at once.
 */
async function trickleIngest(stalled) {
  let seen = 0;
  const answered = [];
  const timers = new Set();
  const server = http.createServer((req, res) => {
    const n = seen++;
    req.resume();
    req.on('end', () => {
      if (n >= stalled) {
        answered.push(n);
        res.writeHead(200).end('{}');
        return;
      }
      const line = 'HTTP/1.1 200 OK\r\n';
      let i = 0;
      const timer = setInterval(() => {
        if (i < line.length && !res.socket.destroyed) res.socket.write(line[i++]);
      }, 1000);
      timers.add(timer);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    dsn: `http://pubkey@127.0.0.1:${server.address().port}/42`,
    answered,
    requests: () => seen,
    close: () => {
      for (const timer of timers) clearInterval(timer);
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

function envelope() {
  const body = JSON.stringify({ type: 'transaction' });
  return `${JSON.stringify({ event_id: randomUUID().replaceAll('-', '') })}\n${JSON.stringify({ type: 'transaction', length: body.length })}\n${body}\n`;
}

const quantity = (counts, reason) => counts.filter((c) => c.reason === reason).reduce((n, c) => n + c.quantity, 0);

test.serial(
  'a trickling ingest still delivers the next requests; one log line; requests in flight at close are counted',
  async (t) => {
    const ingest = await trickleIngest(2);
    const lines = [];
    const transport = new HttpTransport({
      dsn: ingest.dsn,
      slowRequestMs: 300,
      timeoutMs: 20_000,
      clientReportIntervalMs: 0,
      logger: (line) => lines.push(line),
    });
    try {
      const sent = 40;
      for (let i = 0; i < sent; i += 1) transport.send(envelope(), { categories: ['transaction'] });
      // Everything after the two stalled requests is answered at once: only the
      // stalled ones' slow marks (300 ms) stand in the way, so 10 s is ample even busy.
      const until = Date.now() + 10_000;
      while (ingest.answered.length < sent - 2 && Date.now() < until) await delay(50);
      t.is(ingest.answered.length, sent - 2, 'every envelope behind the stalled requests was delivered');
      t.is(lines.filter((l) => /has not answered a request/.test(l)).length, 1, lines.join('\n'));

      const started = Date.now();
      const ok = await transport.close(200);
      t.false(ok, 'two envelopes were never delivered');
      t.true(Date.now() - started < 1500, `close(200) took ${Date.now() - started} ms`);
      // Counted synchronously at close, not when the destroyed sockets report back.
      const dropped = transport.getDroppedCounts();
      t.is(quantity(dropped, 'network_error'), 2, JSON.stringify(dropped));
      t.is(ingest.answered.length + quantity(dropped, 'network_error'), sent, 'delivered + counted = sent');
    } finally {
      await ingest.close();
    }
  },
);

test.serial('a request is abandoned at its total deadline even while bytes keep trickling', async (t) => {
  const ingest = await trickleIngest(1);
  const lines = [];
  const transport = new HttpTransport({
    dsn: ingest.dsn,
    timeoutMs: 1500,
    retry: { maxRetries: 0 },
    clientReportIntervalMs: 0,
    logger: (line) => lines.push(line),
  });
  try {
    transport.send(envelope(), { categories: ['transaction'] });
    const started = Date.now();
    const ok = await transport.flush(10_000);
    const took = Date.now() - started;
    t.false(ok);
    // The socket is never idle (a byte a second) — only a total deadline ends it.
    t.true(took >= 1400 && took < 6000, `flush ended after ${took} ms`);
    t.is(quantity(transport.getDroppedCounts(), 'network_error'), 1);
    t.true(
      lines.some((l) => /ETIMEDOUT/.test(l)),
      lines.join('\n'),
    );
  } finally {
    await transport.close(0);
    await ingest.close();
  }
});

test('a custom transport object whose send() throws is counted as send_error, like the function form', async (t) => {
  const lines = [];
  const object = toTransport(
    {
      send() {
        throw new Error('boom');
      },
      flush: () => true,
    },
    (line) => lines.push(line),
  );
  const fn = toTransport(
    () => {
      throw new Error('boom');
    },
    () => {},
  );
  for (const transport of [object, fn]) {
    transport.send(envelope(), { categories: ['transaction', 'profile'] });
    transport.send(envelope(), { categories: ['transaction'] });
  }
  const counts = (tr) => tr.getDroppedCounts().filter((c) => c.reason === 'send_error');
  t.deepEqual(
    counts(object).sort((a, b) => a.category.localeCompare(b.category)),
    counts(fn).sort((a, b) => a.category.localeCompare(b.category)),
  );
  t.is(quantity(object.getDroppedCounts(), 'send_error'), 3);
  t.false(await object.flush(100), 'a flush after a failed send does not say everything was delivered');
  t.true(await object.flush(100), 'the next one, with nothing failed since, does');
  t.is(lines.length, 1);
});

/** Runs an ESM script in a child process; returns its status and parsed last stdout line. */
function runScript(code, env = {}) {
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...env },
  });
  const last = child.stdout.trim().split('\n').pop();
  let result;
  try {
    result = JSON.parse(last);
  } catch {
    result = undefined;
  }
  return { child, result };
}

// A worker that samples and then blocks in native code (a synchronous child process):
// it cannot hand over its samples, so every window waits for it (3 s here).
const blockedWorker = `
  import { Worker } from 'node:worker_threads';
  const worker = new Worker(\`
    import { parentPort } from 'node:worker_threads';
    import { execFileSync } from 'node:child_process';
    const { startSampling } = await import(${JSON.stringify(SAMPLER)});
    startSampling(101);
    const end = Date.now() + 100; let x = 0; while (Date.now() < end) x += Math.sqrt(x + 1);
    parentPort.postMessage('blocking');
    execFileSync(process.execPath, ['-e', 'setTimeout(() => {}, 3000)']);\`, { eval: true });
  await new Promise((resolve) => worker.once('message', resolve));
  await new Promise((resolve) => setTimeout(resolve, 100));
  worker.unref();
`;

test('close(200) with a worker blocked in native code returns in time, false, and counts the transaction left waiting', (t) => {
  const { child, result } = runScript(`
    import { init, startTransaction, close, getProfilerStats } from ${JSON.stringify(ENTRY)};
    const delivered = [];
    init({ tracesSampleRate: 1, profilesSampleRate: 1, transport: (bytes) => { delivered.push(bytes.length); } });
    ${blockedWorker}
    const txn = startTransaction({ name: 'waits-for-the-worker', op: 'test' });
    const end = performance.now() + 50; let x = 0; while (performance.now() < end) x += Math.sqrt(x + 1);
    txn.finish();
    const started = performance.now();
    const ok = await close(200);
    const took = performance.now() - started;
    const stats = getProfilerStats();
    console.log(JSON.stringify({ ok, took, delivered: delivered.length, unsent: stats?.transactionsUnsent, dropped: stats?.dropped }));
    process.exit(0);
  `);
  t.is(child.status, 0, child.stderr);
  t.truthy(result, child.stdout);
  t.false(result.ok, 'a transaction was still waiting for its profile');
  // 200 ms plus timer slack; before, close waited for the worker (5 s).
  t.true(result.took < 200 + 800, `close(200) took ${result.took} ms`);
  t.is(result.delivered, 0);
  t.is(result.unsent, 1, 'stats are readable after close, with the transaction counted');
  t.true(
    result.dropped.some((d) => d.reason === 'internal_sdk_error' && d.category === 'transaction'),
    JSON.stringify(result.dropped),
  );
});

test('close(200) with a continuous session and a worker blocked in native code returns in time', (t) => {
  const { child, result } = runScript(`
    import { init, close, getProfilerStats } from ${JSON.stringify(ENTRY)};
    init({ transport: () => {}, _experiments: { profilerMode: 'continuous', continuousProfilingAutoStart: true } });
    ${blockedWorker}
    const end = performance.now() + 150; let x = 0; while (performance.now() < end) x += Math.sqrt(x + 1);
    const started = performance.now();
    const ok = await close(200);
    const took = performance.now() - started;
    console.log(JSON.stringify({ ok, took, running: getProfilerStats()?.sessionRunning }));
    process.exit(0);
  `);
  t.is(child.status, 0, child.stderr);
  t.truthy(result, child.stdout);
  t.true(result.took < 200 + 800, `close(200) took ${result.took} ms`);
  t.false(result.ok, 'the last chunk waits for the blocked worker: not delivered in time');
  t.false(result.running);
});

test('close() with nothing pending and a healthy transport returns true', (t) => {
  const { child, result } = runScript(`
    import { init, startTransaction, close, getProfilerStats } from ${JSON.stringify(ENTRY)};
    const delivered = [];
    init({ tracesSampleRate: 1, profilesSampleRate: 1, transport: (bytes) => { delivered.push(bytes.length); } });
    const txn = startTransaction({ name: 'plain', op: 'test' });
    const end = performance.now() + 50; let x = 0; while (performance.now() < end) x += Math.sqrt(x + 1);
    txn.finish();
    const ok = await close(10_000);
    console.log(JSON.stringify({ ok, delivered: delivered.length, unsent: getProfilerStats().transactionsUnsent }));
  `);
  t.is(child.status, 0, child.stderr);
  t.deepEqual(result, { ok: true, delivered: 1, unsent: 0 });
});

test('an uncaught exception right after a transaction: it is written (local mode) before the process dies', (t) => {
  for (const kind of ['throw', 'reject']) {
    const dir = mkdtempSync(join(tmpdir(), 'ferroprof-uncaught-'));
    const { child } = runScript(`
      import { init, startTransaction } from ${JSON.stringify(ENTRY)};
      init({ localDir: ${JSON.stringify(dir)}, tracesSampleRate: 1, profilesSampleRate: 1 });
      const txn = startTransaction({ name: 'before-the-crash', op: 'test' });
      const end = performance.now() + 50; let x = 0; while (performance.now() < end) x += Math.sqrt(x + 1);
      txn.finish();
      ${kind === 'throw' ? "throw new Error('crash');" : "Promise.reject(new Error('crash'));"}
    `);
    t.is(child.status, 1, `${kind}: ${child.stderr}`);
    t.regex(child.stderr, /crash/);
    const files = readdirSync(dir).filter((f) => f.endsWith('.envelope'));
    t.is(files.length, 1, `${kind}: the finished transaction was written`);
  }
});
