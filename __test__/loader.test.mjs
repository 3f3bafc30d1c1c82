import test from 'ava';
import { spawnSync } from 'node:child_process';

const entry = new URL('../dist/sampler.js', import.meta.url).href;
// The loader itself is private: the postinstall script reads it from dist/internal.js.
const internal = new URL('../dist/internal.js', import.meta.url).href;
const sdk = new URL('../dist/index.js', import.meta.url).href;

function runChild(source, inputType = 'module') {
  return spawnSync(process.execPath, [`--input-type=${inputType}`, '-e', source], { encoding: 'utf8' });
}

test('an unsupported Node ABI gives one clear error naming platform, arch, libc and ABI', (t) => {
  const child = runChild(`
    Object.defineProperty(process.versions, 'modules', { value: '999' });
    const { NativeBindingError } = await import(${JSON.stringify(entry)});
    const { loadNativeBinding } = await import(${JSON.stringify(internal)});
    try { loadNativeBinding(); console.log('LOADED'); }
    catch (e) { console.log(e instanceof NativeBindingError ? 'CLEAR' : 'OTHER'); console.log(e.message); }
  `);
  t.is(child.status, 0, child.stderr);
  t.regex(child.stdout, /^CLEAR/);
  t.regex(child.stdout, new RegExp(`platform ${process.platform}, arch ${process.arch}, libc \\w+`));
  t.regex(child.stdout, /ABI 999/);
  t.regex(child.stdout, /npm run build:native/);
  t.notRegex(child.stdout, /dlopen/);
});

test('with no binary for the ABI, profiling falls back to node:inspector and says why in one line', (t) => {
  const child = runChild(`
    Object.defineProperty(process.versions, 'modules', { value: '999' });
    const { openWindow, profilerBackend, startSampling, stopSampling } = await import(${JSON.stringify(entry)});
    // On the thread's CPU time: a loaded machine still gives it its samples.
    const { cpuBudget } = await import(${JSON.stringify(new URL('./helpers/busy.mjs', import.meta.url).href)});
    function fallbackHot(ms) { const more = cpuBudget(ms); let x = 0; while (more()) x += Math.sqrt(x + 1); return x; }
    startSampling(101);
    const w = openWindow();
    fallbackHot(200);
    const p = await w.close();
    stopSampling();
    const hot = p.frames.findIndex((f) => f.function === 'fallbackHot');
    console.log(JSON.stringify({ ...profilerBackend(), hot: p.samples.filter((s) => p.stacks[s.stackId].includes(hot)).length }));
  `);
  t.is(child.status, 0, child.stderr);
  const out = JSON.parse(child.stdout);
  t.is(out.backend, 'inspector');
  t.regex(out.reason, /ABI 999/);
  t.true(out.hot >= 5, `${out.hot} samples in fallbackHot`);
  const lines = child.stderr.split('\n').filter((l) => l.startsWith('ferroprof: '));
  t.is(lines.length, 1, child.stderr);
  t.regex(lines[0], /^ferroprof: profiling with the inspector backend \(node:inspector\): no native binary .*ABI 999/);
});

test('FERROPROF_BACKEND=native refuses to fall back; a bad value is a clear error', (t) => {
  const native = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `
    Object.defineProperty(process.versions, 'modules', { value: '999' });
    const { startSampling, NativeBindingError } = await import(${JSON.stringify(entry)});
    try { startSampling(101); console.log('LOADED'); } catch (e) { console.log(e instanceof NativeBindingError ? 'CLEAR' : 'OTHER ' + e); }
  `,
    ],
    { encoding: 'utf8', env: { ...process.env, FERROPROF_BACKEND: 'native' } },
  );
  t.is(native.stdout.trim(), 'CLEAR', native.stderr);
  const bad = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `
    const { startSampling } = await import(${JSON.stringify(entry)});
    try { startSampling(101); console.log('LOADED'); } catch (e) { console.log(e.message); }
  `,
    ],
    { encoding: 'utf8', env: { ...process.env, FERROPROF_BACKEND: 'wasm' } },
  );
  t.regex(bad.stdout, /FERROPROF_BACKEND must be native, inspector or auto, got 'wasm'/);
});

test('a binary built for another ABI is refused, not loaded', (t) => {
  const child = runChild(`
    const { loadNativeBinding } = await import(${JSON.stringify(internal)});
    const real = loadNativeBinding();
    console.log(real.nativeAbi() === process.versions.modules ? 'MATCH' : 'MISMATCH');
  `);
  t.is(child.status, 0, child.stderr);
  t.is(child.stdout.trim(), 'MATCH');
});

test('importing the package loads nothing native until used', (t) => {
  const child = runChild(`
    Object.defineProperty(process.versions, 'modules', { value: '999' });
    const m = await import(${JSON.stringify(entry)});
    const s = await import(${JSON.stringify(sdk)});
    console.log(typeof m.startSampling, m.isSampling(), m.stopSampling(), typeof s.init);
  `);
  t.is(child.status, 0, child.stderr);
  t.is(child.stdout.trim(), 'function false false function');
});

test('the C library is read from ldd and agrees with Node diagnostic report', (t) => {
  if (process.platform !== 'linux') return t.pass();
  const child = runChild(`
    const { platformTag } = await import(${JSON.stringify(internal)});
    const report = process.report.getReport();
    console.log(JSON.stringify({ tag: platformTag(), gnu: Boolean(report.header.glibcVersionRuntime) }));
  `);
  t.is(child.status, 0, child.stderr);
  const { tag, gnu } = JSON.parse(child.stdout);
  t.is(tag, `linux-${process.arch}-${gnu ? 'gnu' : 'musl'}`);
});

test('a process that profiles locally never loads the HTTP client, TLS or zlib', (t) => {
  // node:https pulls in tls, net and OpenSSL (MBs of RSS, ms of start-up): only a DSN needs it.
  const child = runChild(`
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const sdk = await import(${JSON.stringify(sdk)});
    sdk.init({ localDir: mkdtempSync(join(tmpdir(), 'fp-lazy-')), tracesSampleRate: 1, profilesSampleRate: 1 });
    const txn = sdk.startTransaction({ name: 'local' });
    let x = 0;
    for (let i = 0; i < 2e6; i++) x += Math.sqrt(i);
    txn.finish();
    await sdk.close(10_000);
    const loaded = process.moduleLoadList.filter((m) => /^NativeModule (https|tls|_tls_wrap|zlib)$/.test(m));
    console.log(JSON.stringify(loaded));
  `);
  t.is(child.status, 0, child.stderr);
  t.deepEqual(JSON.parse(child.stdout.trim().split('\n').at(-1)), []);
});

test('with a DSN, the HTTP client loads when the transport is made, in both module formats', (t) => {
  for (const [inputType, load] of [
    ['module', `await import(${JSON.stringify(sdk)})`],
    ['commonjs', `require(${JSON.stringify(new URL('../dist/index.cjs', import.meta.url).pathname)})`],
  ]) {
    const child = runChild(
      `(async () => {
        const sdk = ${load};
        sdk.init({ dsn: 'https://key@127.0.0.1:9/1', tracesSampleRate: 1 });
        const loaded = process.moduleLoadList.filter((m) => m === 'NativeModule https');
        await sdk.close(100);
        console.log(JSON.stringify(loaded));
      })();`,
      inputType,
    );
    t.is(child.status, 0, `${inputType}: ${child.stderr}`);
    t.deepEqual(JSON.parse(child.stdout.trim().split('\n').at(-1)), ['NativeModule https'], inputType);
  }
});
