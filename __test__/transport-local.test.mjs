import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import test from 'ava';

import { CallbackTransport, LocalTransport, toTransport } from '../dist/transport.js';

const DIST = new URL('../dist/transport.js', import.meta.url).href;

const env = (id, size = 100) => `{"event_id":"${id}"}\n{"type":"profile"}\n${JSON.stringify({ pad: 'y'.repeat(size) })}\n`;

function collectLogs() {
  const lines = [];
  return { lines, logger: (line) => lines.push(line) };
}

test.serial('LocalTransport writes complete files atomically, no .tmp left, flush resolves true', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'ferroprof-local-'));
  const dir = join(root, 'nested', 'out'); // created on demand
  const transport = new LocalTransport({ dir });
  const written = new Map();
  for (let i = 0; i < 40; i += 1) {
    const id = i.toString(16).padStart(32, '0');
    const body = env(id, 20_000 + i);
    written.set(id, body);
    transport.send(i % 2 ? body : new TextEncoder().encode(body), { categories: ['profile'] });
  }
  t.true(await transport.flush(5000));
  const files = await readdir(dir);
  t.is(files.length, 40);
  t.false(files.some((f) => f.startsWith('.tmp')));
  for (const file of files) {
    const match = /^(\d{13})-([0-9a-f]{32})\.envelope$/.exec(file);
    t.truthy(match, file);
    t.is(await readFile(join(dir, file), 'utf8'), written.get(match[2]));
  }
  t.deepEqual(transport.getDroppedCounts(), []);
  await rm(root, { recursive: true, force: true });
});

test.serial('LocalTransport: an unusable directory is logged once, counted, flush resolves false', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'ferroprof-local-'));
  const blocker = join(root, 'file');
  await writeFile(blocker, 'not a directory');
  const { lines, logger } = collectLogs();
  const transport = new LocalTransport({ dir: join(blocker, 'sub'), logger });
  for (let i = 0; i < 5; i += 1) transport.send(env('ab'), { categories: ['profile_chunk'] });
  t.false(await transport.flush(2000));
  t.is(lines.length, 1, lines.join('\n'));
  t.regex(lines[0], /cannot write envelopes to .*: (ENOTDIR|EEXIST)/);
  t.deepEqual(transport.getDroppedCounts(), [{ reason: 'send_error', category: 'profile_chunk', quantity: 5 }]);
  // Nothing new failed since: the next flush is true.
  t.true(await transport.flush(100));
  await rm(root, { recursive: true, force: true });
});

test.serial(
  'LocalTransport.writeSync writes one complete file at once; a failure is logged, counted, and never thrown',
  async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'ferroprof-local-'));
    const transport = new LocalTransport({ dir: join(root, 'out') });
    const body = env('c'.repeat(32), 5000);
    t.true(transport.writeSync(body, { categories: ['profile_chunk'] }));
    const files = await readdir(join(root, 'out'));
    t.deepEqual(
      files.map((f) => f.replace(/^\d{13}-/, '')),
      [`${'c'.repeat(32)}.envelope`],
      'named as send() names it, no .tmp left',
    );
    t.is(await readFile(join(root, 'out', files[0]), 'utf8'), body);

    const blocker = join(root, 'file');
    await writeFile(blocker, 'not a directory');
    const { lines, logger } = collectLogs();
    const broken = new LocalTransport({ dir: join(blocker, 'sub'), logger });
    t.false(broken.writeSync(body, { categories: ['profile_chunk'] }));
    t.is(lines.length, 1);
    t.regex(lines[0], /cannot write envelopes to .*: (ENOTDIR|EEXIST)/);
    t.deepEqual(broken.getDroppedCounts(), [{ reason: 'send_error', category: 'profile_chunk', quantity: 1 }]);
    await rm(root, { recursive: true, force: true });
  },
);

test.serial('LocalTransport names files after a random id when the envelope has none', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'ferroprof-local-'));
  const transport = new LocalTransport({ dir: root });
  transport.send('{}\n{"type":"profile_chunk"}\n{}\n', { categories: ['profile_chunk'] });
  transport.send('{}\n{"type":"profile_chunk"}\n{}\n', { categories: ['profile_chunk'] });
  t.true(await transport.close(2000));
  const files = await readdir(root);
  t.is(files.length, 2);
  for (const f of files) t.regex(f, /^\d{13}-[0-9a-f]{32}\.envelope$/);
  await rm(root, { recursive: true, force: true });
});

test.serial('CallbackTransport: gets bytes, waits for promises, catches throws and rejections', async (t) => {
  const { lines, logger } = collectLogs();
  const received = [];
  let call = 0;
  const transport = new CallbackTransport(
    async (bytes, info) => {
      call += 1;
      if (call === 2) throw new Error('boom');
      await delay(100);
      received.push([new TextDecoder().decode(bytes), info.categories]);
    },
    { logger },
  );
  transport.send('a', { categories: ['transaction', 'profile'] });
  transport.send('b', { categories: ['profile'] });
  transport.send(new TextEncoder().encode('c'), { categories: ['profile_chunk'] });
  t.is(received.length, 0);
  t.false(await transport.flush(), 'the rejected promise makes the flush false');
  t.deepEqual(received, [
    ['a', ['transaction', 'profile']],
    ['c', ['profile_chunk']],
  ]);
  t.deepEqual(transport.getDroppedCounts(), [{ reason: 'send_error', category: 'profile', quantity: 1 }]);
  t.is(lines.length, 1);
  t.regex(lines[0], /custom transport failed: boom/);

  const sync = new CallbackTransport(
    () => {
      throw new TypeError('sync boom');
    },
    { logger: () => {} },
  );
  t.notThrows(() => sync.send('x', { categories: ['profile'] }));
  t.false(await sync.flush(100));
  t.true(await sync.flush(100));
});

test.serial('CallbackTransport: flush times out on a hanging callback', async (t) => {
  const transport = new CallbackTransport(() => new Promise(() => {}), { logger: () => {} });
  transport.send('x', { categories: ['profile'] });
  const started = Date.now();
  t.false(await transport.flush(200));
  t.true(Date.now() - started < 1000);
});

test.serial('toTransport guards user transport objects and refuses bad options', async (t) => {
  const { lines, logger } = collectLogs();
  const guarded = toTransport(
    {
      send() {
        throw new Error('send broke');
      },
      flush() {
        return Promise.reject(new Error('flush broke'));
      },
    },
    logger,
  );
  t.notThrows(() => guarded.send('x', { categories: ['profile'] }));
  t.false(await guarded.flush(100));
  t.false(await guarded.close(100));
  t.is(lines.length, 2);
  const hanging = toTransport({ send() {}, flush: () => new Promise(() => {}) });
  t.false(await hanging.flush(100));
  t.true(toTransport(() => {}) instanceof CallbackTransport);
  t.throws(() => toTransport(42), {
    instanceOf: TypeError,
    message: /must be a function .* or an object with send\(\) and flush\(\)/,
  });
});

test.serial('installExitFlush awaits the flush once at beforeExit, then lets the process exit', async (t) => {
  // The callback's work runs on an unref'd timer: without the hook the process would exit first.
  const script = `
    const { CallbackTransport, installExitFlush } = await import(${JSON.stringify(DIST)});
    let flushes = 0;
    const transport = new CallbackTransport(
      () => new Promise((resolve) => setTimeout(() => { console.log('delivered'); resolve(); }, 200).unref()),
    );
    const flush = transport.flush.bind(transport);
    transport.flush = (ms) => { flushes += 1; return flush(ms); };
    installExitFlush(transport, 2000);
    process.on('exit', () => console.log('flushes=' + flushes));
    transport.send('{}', { categories: ['profile'] });
  `;
  // What starting such a process costs here (seconds on a loaded machine): the bound is
  // that plus the 2 s the flush may take, so a process held open would still fail it.
  const baselineStarted = Date.now();
  const baseline = spawn(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(DIST)});`], {
    stdio: 'ignore',
  });
  await new Promise((resolve) => baseline.on('exit', resolve));
  const startup = Date.now() - baselineStarted;
  const started = Date.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  t.is(code, 0);
  t.deepEqual(out.trim().split('\n'), ['delivered', 'flushes=1']);
  const took = Date.now() - started;
  t.true(took < 2 * startup + 2000, `${took} ms (starting a process: ${startup} ms)`);
});
