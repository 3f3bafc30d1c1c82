// Local mode says where it writes (at init with debug, and in the close summary) and
// names every item it did not write, with its reason.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const sdk = fileURLToPath(new URL('../dist/index.js', import.meta.url));

test('debug local mode: the folder at init and in the summary, with each item not written and why', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferroprof-localmsg-'));
  const out = join(dir, 'envelopes');
  const script = `
    import { init, startTransaction, close } from ${JSON.stringify(sdk)};
    init({ dsn: '', debug: true, localDir: ${JSON.stringify(out)}, tracesSampleRate: 1, profilesSampleRate: 1 });
    // Too short for two samples: its profile is not written, and the summary says so.
    startTransaction({ name: 'tiny', op: 'test' }).finish();
    const txn = startTransaction({ name: 'long', op: 'test' });
    const end = performance.now() + 300;
    let x = 0;
    while (performance.now() < end) x += Math.sqrt(x + 1);
    txn.finish();
    await close(5000);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, SENTRY_DSN: '' },
  });
  t.is(r.status, 0, r.stderr);
  const text = r.stdout + r.stderr;
  t.is(text.split('\n').filter((l) => l.includes(`local mode, writing envelopes to ${out}`)).length, 1, text);
  t.regex(
    text,
    new RegExp(
      `profiles and \\d+ chunks written to ${out.replace(/[/\\]/g, '\\$&')}; not written: 1 profile\\(s\\) too short \\(fewer than two samples\\)`,
    ),
    text,
  );
  t.true(readdirSync(out).some((f) => f.endsWith('.envelope')));
});
