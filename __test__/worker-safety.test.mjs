import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { validateEnvelope } from '../dist/testing.js';
import { itemsOfType, parseEnvelope } from './helpers/envelopes.mjs';

const child = fileURLToPath(new URL('./fixtures/stress-child.mjs', import.meta.url));
const RUNS = 20;

function runOnce() {
  const dir = mkdtempSync(join(tmpdir(), 'ferroprof-stress-'));
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [child, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code, signal) => resolve({ code, signal, out, err, dir }));
  });
}

test(`main thread + 4 workers churning allocations at 1001 Hz, ${RUNS} runs, never crash`, async (t) => {
  const results = [];
  // Two runs at a time: the machine has two cores.
  for (let i = 0; i < RUNS; i += 2) results.push(...(await Promise.all([runOnce(), runOnce()])));
  const crashes = results.filter((r) => r.code !== 0 || r.signal);
  t.is(crashes.length, 0, crashes.map((r) => `exit ${r.code} ${r.signal ?? ''}: ${r.err.slice(-500)}`).join('\n'));
  t.true(
    results.every((r) => r.out.startsWith('OK')),
    results.map((r) => r.out).join(''),
  );
  // What the runs wrote is valid and has the workers in it.
  let workerThreads = 0;
  for (const r of results) {
    for (const f of readdirSync(r.dir).filter((n) => n.endsWith('.envelope'))) {
      const bytes = readFileSync(join(r.dir, f));
      validateEnvelope(bytes);
      const chunk = itemsOfType([parseEnvelope(bytes)], 'profile_chunk')[0].payload;
      if (Object.keys(chunk.profile.thread_metadata).some((id) => id !== '0')) workerThreads += 1;
    }
    rmSync(r.dir, { recursive: true, force: true });
  }
  t.true(workerThreads > 0, 'chunks carry worker threads');
});
