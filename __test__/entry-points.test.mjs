// The public surface by purpose: `ferroprof` (the SDK), `ferroprof/sampler` (low-level),
// `ferroprof/transport` (transports and the envelope model), `ferroprof/testing` (the
// envelope validator). A name added to or dropped from an entry point fails here, so
// the surface only changes on purpose (and the README's list with it).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

const SURFACE = {
  '.': [
    'GeventScheduler',
    'Profile',
    'Scheduler',
    'SleepScheduler',
    'Span',
    'ThreadScheduler',
    'Transaction',
    'close',
    'flush',
    'getActiveSpan',
    'getClient',
    'getProfilerStats',
    'init',
    'startProfileSession',
    'startProfiler',
    'startSpan',
    'startTransaction',
    'stopProfileSession',
    'stopProfiler',
    'withSpan',
    'withTransaction',
  ],
  './sampler': [
    'DEFAULT_FREQUENCY_HZ',
    'MAX_FREQUENCY_HZ',
    'MIN_FREQUENCY_HZ',
    'NativeBindingError',
    'closeWindow',
    'closeWindowSync',
    'configureSampler',
    'flush',
    'formatTopTable',
    'getSamplerStats',
    'handOverSamples',
    'isSampling',
    'monotonicNowNs',
    'openWindow',
    'profilerBackend',
    'startSampling',
    'stopSampling',
    'topFunctions',
    'validateFrequency',
  ],
  './transport': [
    'CallbackTransport',
    'DsnError',
    'EnvelopeError',
    'HttpTransport',
    'LocalTransport',
    'clientReportEnvelope',
    'dsnToString',
    'installExitFlush',
    'isGzip',
    'itemJson',
    'itemText',
    'itemsOfType',
    'parseDsn',
    'parseEnvelope',
    'readEventId',
    'serializeEnvelope',
    'toTransport',
  ],
  './testing': ['validateEnvelope'],
  './sentry': ['INTEGRATION_NAME', 'ferroprofIntegration', 'getProfilerStats'],
  // `node --import ferroprof/preload`: no names, only its effect (with FERROPROF_RUN_DIR set).
  './preload': [],
};

test('package.json exports exactly the public entry points (and package.json)', (t) => {
  t.deepEqual(Object.keys(pkg.exports).sort(), [...Object.keys(SURFACE), './package.json'].sort());
});

for (const [subpath, names] of Object.entries(SURFACE)) {
  test(`ferroprof${subpath.slice(1)}: the same names through import and require`, async (t) => {
    const target = pkg.exports[subpath];
    const esm = await import(new URL(`../${target.import.default}`, import.meta.url).href);
    const cjs = require(`../${target.require.default}`);
    t.deepEqual(Object.keys(esm).sort(), [...names].sort());
    t.deepEqual(
      Object.keys(cjs)
        .filter((k) => k !== '__esModule')
        .sort(),
      [...names].sort(),
    );
  });
}

test('no entry point exposes loader internals', async (t) => {
  for (const subpath of Object.keys(SURFACE)) {
    const m = await import(new URL(`../${pkg.exports[subpath].import.default}`, import.meta.url).href);
    for (const internal of ['binaryFileName', 'nodeAbi', 'platformTag', 'loadNativeBinding', 'parseRetryAfter', 'flushSampler']) {
      t.false(internal in m, `${subpath} exports ${internal}`);
    }
  }
});

test('entry points share one state, in the CommonJS build too (one module copy)', (t) => {
  // A fresh process: the SDK's local-mode client uses the very LocalTransport class that
  // ferroprof/transport exports (two copies of the module would be two classes).
  const dir = mkdtempSync(join(tmpdir(), 'ferroprof-entries-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const ext of ['js', 'cjs']) {
    const load =
      ext === 'js'
        ? (p) => `await import(${JSON.stringify(`./dist/${p}.js`)})`
        : (p) => `require(${JSON.stringify(`./dist/${p}.cjs`)})`;
    const source = `
      const sdk = ${load('index')};
      const transport = ${load('transport')};
      sdk.init({ dsn: '', localDir: ${JSON.stringify(dir)} });
      const same = sdk.getClient().transport instanceof transport.LocalTransport;
      await sdk.close(1000);
      console.log(same, sdk.getClient() === undefined);
    `;
    const child = spawnSync(
      process.execPath,
      ext === 'js' ? ['--input-type=module', '-e', source] : ['-e', `(async () => {${source}})()`],
      {
        cwd: root,
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    t.is(child.status, 0, child.stderr);
    t.is(child.stdout.trim(), 'true true', ext);
  }
});
