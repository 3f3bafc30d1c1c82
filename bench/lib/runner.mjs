// Forks one child per run (a fresh isolate for every variant) and collects its result.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import autocannon from 'autocannon';

import { ROUTE_PATHS } from './scenarios/http.mjs';

const CHILD = fileURLToPath(new URL('./child.mjs', import.meta.url));
const CHILD_TIMEOUT_MS = 15 * 60_000;

function spawn(cfg) {
  return fork(CHILD, [JSON.stringify(cfg)], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, SENTRY_DSN: '', NODE_OPTIONS: '' },
  });
}

/** Runs one variant; `onListening(port)` (HTTP scenario) drives load and returns stats. */
export function runChild(cfg, onListening) {
  return new Promise((resolve) => {
    const child = spawn(cfg);
    let stderr = '';
    let extra = {};
    let settled = false;
    const done = (value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(value);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done({ ok: false, error: 'timed out' });
    }, CHILD_TIMEOUT_MS);
    child.stderr.on('data', (d) => {
      stderr += d;
      if (stderr.length > 20_000) stderr = stderr.slice(-20_000);
    });
    child.on('message', async (m) => {
      if (m && typeof m.listening === 'number' && onListening) {
        try {
          extra = await onListening(m.listening);
        } catch (err) {
          extra = { loadError: String(err) };
        }
        child.send('stop');
      } else if (m && 'ok' in m) {
        done(m.ok ? { ok: true, result: { ...m.result, ...extra } } : { ok: false, error: m.error });
      }
    });
    child.on('exit', (code, signal) => {
      done({ ok: false, error: `child exited (${code ?? signal}) without a result\n${stderr.slice(-2000)}` });
    });
  });
}

/** Loads 127.0.0.1:`port` with autocannon over every route; returns rps and latency. */
export async function loadServer(port, { durationS, warmupS, connections }) {
  const requests = ROUTE_PATHS.map((path) => ({ method: 'GET', path }));
  const base = { url: `http://127.0.0.1:${port}`, connections, requests };
  if (warmupS > 0) await autocannon({ ...base, duration: warmupS });
  const r = await autocannon({ ...base, duration: durationS });
  return {
    rps: r.requests.average,
    totalRequests: r.requests.total,
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    latencyMaxMs: r.latency.max,
    errors: r.errors + r.timeouts + (r.non2xx ?? 0),
  };
}
