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
  t.true(readdirSync(dir).some((f) => f.endsWith('.envelope')), 'the last chunk was written synchronously');
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
