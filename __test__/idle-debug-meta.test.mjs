// Idle time is kept: a transaction or a session that waits has its profile or chunk,
// idle samples on a one-frame `(idle)` stack as @sentry/profiling-node sends them (Relay
// drops empty stacks). Files with a debug ID (globalThis._sentryDebugIds) get a
// `sourcemap` image in `debug_meta`. Both backends: native and the node:inspector fallback.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import test from 'ava';

import { validateEnvelope } from '../dist/testing.js';
import { itemJson, parseEnvelope } from '../dist/transport.js';

const here = dirname(fileURLToPath(import.meta.url));
const APP = join(here, 'fixtures', 'idle', 'app.mjs');
const DEBUG_ID = 'c941d872-af1f-4f0c-a7ff-ad3d295fe153';

function runApp(backend) {
  const out = mkdtempSync(join(tmpdir(), 'ferroprof-idle-'));
  const env = { ...process.env, OUT_DIR: out };
  if (backend === 'inspector') env.FERROPROF_BACKEND = 'inspector';
  else delete env.FERROPROF_BACKEND;
  const r = spawnSync(process.execPath, [APP], { env, encoding: 'utf8', timeout: 60_000 });
  const envelopes = readdirSync(out)
    .filter((f) => f.endsWith('.envelope'))
    .map((f) => readFileSync(join(out, f)));
  rmSync(out, { recursive: true, force: true });
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  return { r, envelopes, result: line ? JSON.parse(line.slice(7)) : undefined };
}

const isIdle = (p, s) => {
  const stack = p.profile.stacks[s.stack_id];
  return stack.length === 1 && p.profile.frames[stack[0]].function === '(idle)';
};
const names = (p, s) => p.profile.stacks[s.stack_id].map((f) => p.profile.frames[f].function);

for (const backend of ['native', 'inspector']) {
  test.serial(`${backend}: a waiting transaction keeps its profile, idle samples on (idle), debug_meta for this file`, (t) => {
    const { r, envelopes, result } = runApp(backend);
    t.is(r.status, 0, `${r.stderr}\n${r.stdout}`);
    t.true(result?.closed, 'close() delivered everything');
    for (const bytes of envelopes) t.notThrows(() => validateEnvelope(bytes), "Relay's rules accept every envelope");

    const items = envelopes.flatMap((b) => parseEnvelope(new Uint8Array(b)).items);
    const profiles = items.filter((i) => i.header.type === 'profile').map(itemJson);
    const byName = Object.fromEntries(profiles.map((p) => [p.transaction.name, p]));
    t.deepEqual(Object.keys(byName).sort(), ['only-waits', 'works'], 'both transactions have a profile');

    const waits = byName['only-waits'];
    const idle = waits.profile.samples.filter((s) => isIdle(waits, s)).length;
    t.true(idle >= 2, `${idle} of ${waits.profile.samples.length} samples of a 300 ms wait are (idle)`);
    t.true(idle >= waits.profile.samples.length / 2, 'waiting shows as waiting');
    t.deepEqual(
      waits.profile.frames.find((f) => f.function === '(idle)'),
      { function: '(idle)', in_app: false },
      "the idle frame, as the incumbent marks V8's internal nodes",
    );
    t.false(
      waits.profile.stacks.some((s, i) => s.length === 0 && waits.profile.samples.some((x) => x.stack_id === i)),
      'no sample on an empty stack',
    );

    const works = byName.works;
    t.true(works.profile.samples.some((s) => names(works, s).includes('busyIdleTestFunction')));
    t.true(
      works.profile.samples.some((s) => isIdle(works, s)),
      'the wait after the work is in the profile',
    );
    t.deepEqual(works.debug_meta, { images: [{ type: 'sourcemap', code_file: APP, debug_id: DEBUG_ID }] });
    for (const p of [waits, works]) {
      for (const image of p.debug_meta?.images ?? []) {
        t.true(
          p.profile.frames.some((f) => f.abs_path === image.code_file),
          'only files the frames name get an image',
        );
      }
    }

    const chunks = items.filter((i) => i.header.type === 'profile_chunk').map(itemJson);
    t.true(chunks.length >= 1, 'the session has its chunk');
    const chunkIdle = chunks.reduce((n, c) => n + c.profile.samples.filter((s) => isIdle(c, s)).length, 0);
    t.true(chunkIdle >= 2, `${chunkIdle} idle samples in the session's chunks`);
    const withApp = chunks.filter((c) => c.profile.frames.some((f) => f.abs_path === APP));
    t.true(withApp.length >= 1);
    for (const c of withApp) t.deepEqual(c.debug_meta, { images: [{ type: 'sourcemap', code_file: APP, debug_id: DEBUG_ID }] });
  });
}
