import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const entry = new URL('../dist/index.js', import.meta.url).href;

test('a script with a session running exits on its own, after writing its last chunk', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferroprof-exit-'));
  const started = Date.now();
  const child = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { init } from ${JSON.stringify(entry)};
       init({ localDir: ${JSON.stringify(dir)}, _experiments: { profilerMode: 'continuous', continuousProfilingAutoStart: true } });
       const end = performance.now() + 300; let x = 0; while (performance.now() < end) x += Math.sqrt(x + 1);`,
    ],
    { encoding: 'utf8', timeout: 20_000 },
  );
  t.is(child.status, 0, child.stderr);
  t.true(Date.now() - started < 10_000, 'it did not hang');
  const files = readdirSync(dir).filter((f) => f.endsWith('.envelope'));
  t.true(files.length >= 1, 'the last chunk was written');
});

test('process.exit() with a session running still writes the last chunk in local mode', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferroprof-exit-'));
  const child = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { init } from ${JSON.stringify(entry)};
       init({ localDir: ${JSON.stringify(dir)}, _experiments: { profilerMode: 'continuous', continuousProfilingAutoStart: true } });
       const end = performance.now() + 300; let x = 0; while (performance.now() < end) x += Math.sqrt(x + 1);
       process.exit(7);`,
    ],
    { encoding: 'utf8', timeout: 20_000 },
  );
  t.is(child.status, 7, child.stderr);
  t.true(
    readdirSync(dir).some((f) => f.endsWith('.envelope')),
    'the last chunk was written synchronously',
  );
});

test('process.exit() with a LocalTransport given as transport writes the last chunk through it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferroprof-exit-'));
  const transportEntry = new URL('../dist/transport.js', import.meta.url).href;
  const child = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { init } from ${JSON.stringify(entry)};
       import { LocalTransport } from ${JSON.stringify(transportEntry)};
       init({ transport: new LocalTransport({ dir: ${JSON.stringify(dir)} }), _experiments: { profilerMode: 'continuous', continuousProfilingAutoStart: true } });
       const end = performance.now() + 300; let x = 0; while (performance.now() < end) x += Math.sqrt(x + 1);
       process.exit(7);`,
    ],
    { encoding: 'utf8', timeout: 20_000 },
  );
  t.is(child.status, 7, child.stderr);
  const files = readdirSync(dir).filter((f) => f.endsWith('.envelope'));
  t.true(files.length >= 1, 'the last chunk was written synchronously');
  t.false(readdirSync(dir).some((f) => f.startsWith('.tmp')));
});

// Shutdown is a state: once ferroprof's exit handling ran, a start is a counted no-op.
// Before, V8's sampler thread outlived the runtime: "pure virtual method called", 134.
const samplerEntry = new URL('../dist/sampler.js', import.meta.url).href;
const spin = 'const end = performance.now() + 50; let x = 0; while (performance.now() < end) x += Math.sqrt(x + 1);';

function runModule(code) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 30_000 });
}

test('a profiled transaction recorded in an app exit listener keeps the exit code (3), no abort', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferroprof-exit-'));
  for (let run = 0; run < 3; run += 1) {
    const child = runModule(
      `import { init, startTransaction, getProfilerStats } from ${JSON.stringify(entry)};
       init({ localDir: ${JSON.stringify(dir)}, tracesSampleRate: 1, profilesSampleRate: 1 });
       process.on('exit', () => {
         const txn = startTransaction({ name: 'last', op: 'exit' });
         ${spin}
         txn.finish();
         console.log('refused', getProfilerStats().samplerStartsRefused);
       });
       ${spin}
       process.exit(3);`,
    );
    t.is(child.status, 3, `run ${run}: ${child.stderr}`);
    t.is(child.signal, null);
    t.regex(child.stdout, /refused [1-9]/, 'the start in the late listener was counted, not made');
  }
});

test('startSampling and openWindow in an exit listener are counted no-ops: exit code kept', (t) => {
  for (let run = 0; run < 3; run += 1) {
    const child = runModule(
      `import { startSampling, openWindow, isSampling, getSamplerStats } from ${JSON.stringify(samplerEntry)};
       startSampling(997);
       process.on('exit', () => {
         startSampling(997);
         openWindow();
         console.log('sampling', isSampling(), 'refused', getSamplerStats().samplerStartsRefused);
       });
       ${spin}
       process.exit(3);`,
    );
    t.is(child.status, 3, `run ${run}: ${child.stderr}`);
    t.regex(child.stdout, /sampling false refused [1-9]/);
  }
});

test('a worker whose exit listener starts sampling ends with its own exit code; so does the process', (t) => {
  const child = runModule(
    `import { Worker } from 'node:worker_threads';
     import { startSampling } from ${JSON.stringify(samplerEntry)};
     startSampling(997);
     const w = new Worker(\`
       const { startSampling, openWindow } = await import(${JSON.stringify(samplerEntry)});
       startSampling(997);
       process.on('exit', () => { startSampling(997); openWindow(); });
       ${spin}
       process.exit(4);\`, { eval: true, type: 'module' });
     w.on('exit', (code) => {
       console.log('worker', code);
       process.on('exit', () => startSampling(997));
       process.exit(5);
     });`,
  );
  t.is(child.status, 5, child.stderr);
  t.regex(child.stdout, /worker 4/);
});
