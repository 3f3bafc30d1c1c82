// One engine: the WebAssembly build of crates/core (the node:inspector fallback's
// engine) replays the command log recorded from real inspector profiles and must give
// the transcript the native build of the same crate gives (crates/wasm/tests/replay.rs
// holds the native build to it): byte-identical `profile` (v1) and `profile_chunk` (v2)
// payloads, raw windows and replies.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const { WasmEngine, splitData } = await import('../dist/internal.js');
const { loadNativeBinding } = await import('../dist/internal.js');

const fixtures = new URL('../crates/wasm/tests/fixtures/', import.meta.url);
const log = readFileSync(fileURLToPath(new URL('engine-replay.jsonl', fixtures)), 'utf8');
const expected = JSON.parse(readFileSync(fileURLToPath(new URL('engine-replay.expected.json', fixtures)), 'utf8'));

/** Chunk ids 1, 2, 3... as 16 little-endian bytes, as the native replay makes them. */
function countingFill() {
  let n = 0n;
  return (bytes) => {
    n += 1n;
    for (let i = 0; i < bytes.length; i++) bytes[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  };
}

test('the WebAssembly engine gives the native transcript byte for byte', (t) => {
  const engine = new WasmEngine(countingFill());
  const lines = log.split('\n').filter((l) => l.trim() !== '');
  t.is(lines.length, expected.length, 'one reply per command');
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let payloads = 0;
  for (const [i, line] of lines.entries()) {
    const { text, data } = engine.callText(line);
    t.is(text, expected[i].reply, `reply ${i} (${JSON.parse(line).op})`);
    t.is(decoder.decode(data), expected[i].data, `data of reply ${i}`);
    payloads += JSON.parse(text).results?.filter((r) => r.kind === 'encoded').length ?? 0;
  }
  t.true(payloads >= 4, `${payloads} encoded payloads compared`);
});

test("its payloads pass the native validator of Relay's rules", (t) => {
  const engine = new WasmEngine(countingFill());
  const encoded = [];
  for (const line of log.split('\n').filter((l) => l.trim() !== '')) {
    const { json, data } = engine.call(JSON.parse(line));
    const results = json.results ?? [];
    const bodies = splitData(
      data,
      results.map((r) => r.dataLen),
    );
    results.forEach((r, i) => {
      if (r.kind === 'encoded')
        encoded.push({ type: 'chunk_id' in JSON.parse(bodies[i]) ? 'profile_chunk' : 'profile', body: bodies[i] });
    });
  }
  const native = loadNativeBinding();
  const outcome = (fn) => {
    try {
      // As JSON: the addon's objects may carry `undefined` fields the module leaves out.
      return { ok: JSON.parse(JSON.stringify(fn())) };
    } catch (err) {
      return { error: err.message };
    }
  };
  let passed = 0;
  for (const { type, body } of encoded) {
    const payload = JSON.parse(body);
    const frame = (header, text) => `${JSON.stringify({ ...header, length: Buffer.byteLength(text) })}\n${text}\n`;
    let items;
    if (type === 'profile_chunk') {
      items = frame({ type, platform: payload.platform }, body);
    } else {
      // A profile travels with its transaction, whose ids it must name.
      const txn = JSON.stringify({
        type: 'transaction',
        event_id: payload.transaction.id,
        contexts: { trace: { trace_id: payload.transaction.trace_id }, profile: { profile_id: payload.event_id } },
      });
      items = frame({ type: 'transaction' }, txn) + frame({ type }, body);
    }
    const bytes = Buffer.from(`{}\n${items}`);
    const fromWasm = outcome(() => engine.validate(bytes, false));
    t.deepEqual(
      fromWasm,
      outcome(() => native.validateEnvelope(bytes, false)),
      `${type}: both validators agree`,
    );
    if (fromWasm.ok?.items.at(-1).itemType === type) passed += 1;
  }
  t.is(passed, encoded.length, 'every payload passes');
});

test('a refused command throws the native message, and the engine goes on', (t) => {
  const engine = new WasmEngine(countingFill());
  t.throws(() => engine.call({ op: 'poll', nowNs: 1 }), { message: /not initialised/ });
  engine.call({ op: 'init', anchor: { monoNs: '1', unixNs: '1700000000000000000' } });
  t.throws(
    () =>
      engine.call({
        op: 'close',
        id: 1,
        endNs: 2,
        nowNs: 2,
        activeThreadId: 0,
        ticket: 1,
        encoding: 'v1',
        meta: '{}',
        waitNs: 0,
      }),
    { message: /^invalid transaction metadata/ },
  );
  t.throws(() => engine.validate(Buffer.from('{}\n{"type":"profile","length":2}\n{}\n'), false), { message: /^[a-z_]+: / });
  t.deepEqual(engine.call({ op: 'poll', nowNs: 3 }).json, { results: [] });
});

// A module that cannot start (here: a package whose wasm/ferroprof.wasm is not
// WebAssembly) turns profiling off with one line on stderr; the application runs on.
test('a broken module turns the fallback off, once and without an exception', (t) => {
  const pkg = mkdtempSync(join(tmpdir(), 'ferroprof-broken-wasm-'));
  try {
    cpSync(fileURLToPath(new URL('../dist', import.meta.url)), join(pkg, 'dist'), { recursive: true });
    cpSync(fileURLToPath(new URL('../package.json', import.meta.url)), join(pkg, 'package.json'));
    mkdirSync(join(pkg, 'wasm'));
    writeFileSync(join(pkg, 'wasm', 'ferroprof.wasm'), 'not a WebAssembly module');
    const program = `
      import { close, init, startTransaction } from ${JSON.stringify(pathToFileURL(join(pkg, 'dist', 'index.js')).href)};
      import { openWindow, startSampling, stopSampling } from ${JSON.stringify(pathToFileURL(join(pkg, 'dist', 'sampler.js')).href)};
      startSampling(101);
      const w = openWindow();
      let low;
      try { low = { result: await w.close() }; } catch (err) { low = { error: err.message }; }
      stopSampling();
      init({ tracesSampleRate: 1, profilesSampleRate: 1, localDir: ${JSON.stringify(join(pkg, 'out'))} });
      const txn = startTransaction({ name: 'no-engine', op: 'task' });
      txn.finish();
      await close(2000);
      console.log('RESULT ' + JSON.stringify(low));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', program], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, FERROPROF_BACKEND: 'inspector' },
    });
    t.is(r.status, 0, r.stderr);
    const off = r.stderr.split('\n').filter((l) => l.includes('profiling is off'));
    t.is(off.length, 1, r.stderr);
    t.regex(off[0], /WebAssembly engine could not start/);
    const low = JSON.parse(
      r.stdout
        .split('\n')
        .find((l) => l.startsWith('RESULT '))
        .slice(7),
    );
    t.regex(JSON.stringify(low), /profiling is off/, 'the window says why it has no profile');
  } finally {
    rmSync(pkg, { recursive: true, force: true });
  }
});
