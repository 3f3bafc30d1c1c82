// Bytes per sample of `profile` (v1) and `profile_chunk` (v2) payloads on a workload
// that waits half the time (timers) and computes the other half, and of a transaction
// that only waits; with the same payload as it was encoded before idle samples got an
// `(idle)` frame (derived exactly: the frames and stacks appended for idle samples
// removed, idle samples back on the empty stack). Not a timing: the figures are sizes,
// so a busy machine changes them only through the sample counts.
//   node bench/idle-bytes.mjs            (after `npm run build`)
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

import * as ferroprof from '../dist/index.js';
import { isGzip, itemJson, parseEnvelope } from '../dist/transport.js';

const dir = mkdtempSync(join(tmpdir(), 'ferroprof-idle-bytes-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function spin(ms) {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  return x;
}
async function halfIdle(totalMs) {
  for (let t = 0; t < totalMs; t += 100) {
    spin(50);
    await sleep(50);
  }
}

ferroprof.init({ localDir: dir, tracesSampleRate: 1, profilesSampleRate: 1 });
await ferroprof.withTransaction({ name: 'half-idle', op: 'bench' }, () => halfIdle(2000));
// A transaction that only waits: no profile before idle samples were kept.
await ferroprof.withTransaction({ name: 'all-idle', op: 'bench' }, () => sleep(500));
ferroprof.startProfiler();
await halfIdle(2000);
ferroprof.stopProfiler();
await ferroprof.close(10_000);

/**
 * The same payload as the encoder wrote it before idle samples were kept: idle
 * samples on the slice's empty stack, without the `(idle)`/`(program)` frames and
 * stacks the encoder appends (it leaves the empty stack in place).
 */
function asBefore(p) {
  const { frames, stacks, samples } = p.profile;
  const isIdleFrame = (f) => f.abs_path === undefined && /^\((idle|program)\)$/.test(f.function ?? '');
  const firstAdded = frames.findIndex(isIdleFrame);
  if (firstAdded < 0) return p;
  const addedStacks = new Set(stacks.map((s, i) => (s.length === 1 && s[0] >= firstAdded ? i : -1)).filter((i) => i >= 0));
  let empty = stacks.findIndex((s) => s.length === 0);
  const keptStacks = stacks.filter((_, i) => !addedStacks.has(i));
  if (empty < 0) {
    keptStacks.push([]);
    empty = keptStacks.length - 1;
  }
  return {
    ...p,
    profile: {
      ...p.profile,
      frames: frames.slice(0, firstAdded),
      stacks: keptStacks,
      samples: samples.map((s) => (addedStacks.has(s.stack_id) ? { ...s, stack_id: empty } : s)),
    },
  };
}

/** Relay's rule, before: some thread with two samples on non-empty stacks. */
function relayKeepsBefore(p) {
  const busy = new Map();
  for (const s of p.profile.samples) {
    if (p.profile.stacks[s.stack_id].length > 0) busy.set(s.thread_id, (busy.get(s.thread_id) ?? 0) + 1);
  }
  return [...busy.values()].some((n) => n >= 2);
}

const rows = [];
for (const f of readdirSync(dir).filter((n) => n.endsWith('.envelope'))) {
  let bytes = readFileSync(join(dir, f));
  if (isGzip(bytes)) bytes = gunzipSync(bytes);
  const env = parseEnvelope(new Uint8Array(bytes));
  for (const item of env.items) {
    if (item.header.type !== 'profile' && item.header.type !== 'profile_chunk') continue;
    const p = itemJson(item);
    const stacks = p.profile.stacks;
    const idle = p.profile.samples.filter((s) => {
      const st = stacks[s.stack_id];
      return st.length === 0 || (st.length === 1 && /^\((idle|program)\)$/.test(p.profile.frames[st[0]].function ?? ''));
    }).length;
    const json = Buffer.byteLength(JSON.stringify(p));
    const gz = gzipSync(JSON.stringify(p)).length;
    const old = asBefore(p);
    const oldJson = Buffer.byteLength(JSON.stringify(old));
    const n = p.profile.samples.length;
    rows.push({
      item: item.header.type,
      name: p.transaction?.name ?? 'chunk',
      samples: n,
      idle,
      'B/sample': (json / n).toFixed(1),
      'gzip B/sample': (gz / n).toFixed(1),
      'B/sample before': (oldJson / n).toFixed(1),
      'gzip B/sample before': (gzipSync(JSON.stringify(old)).length / n).toFixed(1),
      'sent before': relayKeepsBefore(old) ? 'yes' : 'no (insufficient_data)',
    });
  }
}
console.table(rows.sort((a, b) => a.item.localeCompare(b.item)));
rmSync(dir, { recursive: true, force: true });
