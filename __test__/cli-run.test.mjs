import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { validateEnvelope } from '../dist/testing.js';
import { itemsOfType, parseEnvelope } from './helpers/envelopes.mjs';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const example = fileURLToPath(new URL('../examples/cpu-hot.mjs', import.meta.url));
const tmp = () => mkdtempSync(join(tmpdir(), 'ferroprof-cli-'));
const repo = fileURLToPath(new URL('..', import.meta.url));
const ferroprof = (args, cwd) => spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });

/** The first function listed under a table heading of the summary. */
function firstRow(text, heading) {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith(heading));
  return lines[at + 2]?.trim().split(/\s+/)[4];
}

test('run profiles the example, writes every format and ranks its hot function first', (t) => {
  const dir = tmp();
  const out = join(dir, 'out');
  const r = ferroprof(['run', '--hz', '199', '--out', out, '--format', 'html,speedscope,pprof,envelope', example, '1200'], dir);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /cpu-hot: done/, 'the script output passes through');
  t.regex(r.stderr, /duration \d/);
  t.regex(r.stderr, /\d+ samples, 1 thread/);
  t.is(firstRow(r.stderr, 'top 10 by self time'), 'hotLoop');
  // A function's row adds up all its lines and names the line where it starts; with
  // --lines, the line that burns has its own row: the loop in hotLoop.
  t.regex(r.stderr, /hotLoop \(.*cpu-hot\.mjs:6\)/);
  const byLine = ferroprof(['top', '--lines', out], dir);
  t.is(byLine.status, 0, byLine.stderr);
  t.regex(byLine.stdout, /top 10 lines by self time/);
  t.regex(byLine.stdout, /hotLoop \(.*cpu-hot\.mjs:8\)/);
  for (const f of ['profile.html', 'profile.speedscope.json', 'profile.pb.gz', 'profile.envelope']) {
    t.true(existsSync(join(out, f)), f);
    t.true(r.stderr.includes(join(out, f)), `summary names ${f}`);
  }
  const html = readFileSync(join(out, 'profile.html'), 'utf8');
  t.false(/<script[^>]+src=|<link[^>]+href=|https?:\/\//.test(html), 'the page loads nothing from the network');

  // The envelope holds the chunks of the SDK's continuous profiler, as the native core
  // encoded them: Sentry's rules accept it.
  const envelopeBytes = readFileSync(join(out, 'profile.envelope'));
  t.notThrows(() => validateEnvelope(envelopeBytes));
  const chunks = itemsOfType([parseEnvelope(envelopeBytes)], 'profile_chunk');
  t.true(chunks.length >= 1);
  t.is(chunks[0].payload.client_sdk.name, 'ferroprof.node');

  // view and top read the envelope it wrote back, with the same ranking.
  const view = ferroprof(['view', '--out', join(dir, 'view'), join(out, 'profile.envelope')], dir);
  t.is(view.status, 0, view.stderr);
  t.is(firstRow(view.stdout, 'top 10 by self time'), 'hotLoop');
  t.true(existsSync(join(dir, 'view', 'profile.html')));
  const top = ferroprof(['top', out], dir);
  t.is(top.status, 0, top.stderr);
  t.is(firstRow(top.stdout, 'top 10 by self time'), 'hotLoop');

  // One chunk series, by its profiler_id or the first characters of it.
  const profilerId = chunks[0].payload.profiler_id;
  const series = ferroprof(['top', '--profiler', profilerId.slice(0, 8), join(out, 'profile.envelope')], dir);
  t.is(series.status, 0, series.stderr);
  t.is(firstRow(series.stdout, 'top 10 by self time'), 'hotLoop');
  const other = ferroprof(['top', '--profiler', 'ffffffff', join(out, 'profile.envelope')], dir);
  t.is(other.status, 1);
  t.true(other.stderr.includes(`profilers: ${profilerId.replace(/-/g, '')}`), other.stderr);
});

test('run passes the exit code through', (t) => {
  const dir = tmp();
  writeFileSync(
    join(dir, 'three.mjs'),
    'const e = performance.now() + 100; while (performance.now() < e); process.exitCode = 3;\n',
  );
  const r = ferroprof(['run', '--out', join(dir, 'out'), 'three.mjs'], dir);
  t.is(r.status, 3, r.stderr);
  t.regex(r.stderr, /exited with code 3/);
});

test('a script that throws: Node prints the error itself (cause, custom properties, source line), the profile is written, exit 1', (t) => {
  const dir = tmp();
  writeFileSync(
    join(dir, 'throws.mjs'),
    'function spin(n) { let x = 0; for (let i = 0; i < n; i++) x += Math.sqrt(i + x) % 3; return x; }\nconst e = Date.now() + 300;\nwhile (Date.now() < e) spin(100000);\nconst err = new Error("boom", { cause: new Error("the root cause") });\nerr.code = "E_CUSTOM";\nthrow err;\n',
  );
  const r = ferroprof(['run', '--out', join(dir, 'out'), 'throws.mjs'], dir);
  t.regex(r.stderr, /Error: boom/);
  t.regex(r.stderr, /code: 'E_CUSTOM'/, 'custom properties kept');
  t.regex(r.stderr, /\[cause\]: Error: the root cause/, 'the cause kept');
  t.regex(r.stderr, /throws\.mjs:4\n.*new Error\("boom"/, "Node's source excerpt kept");
  t.notRegex(r.stderr, /^Uncaught /m, 'not reprinted by ferroprof');
  t.true(existsSync(join(dir, 'out', 'profile.html')), r.stderr);
  t.is(firstRow(r.stderr, 'top 10 by self time'), 'spin');
  t.is(r.status, 1, r.stderr);
});

/** Runs `ferroprof run` on a small HTTP server under load; sends `signal` after ~2 s to `target`. */
function stopServer(signal, target) {
  const dir = tmp();
  writeFileSync(
    join(dir, 'server.mjs'),
    `import { createServer } from 'node:http';
function hotHandler() { let x = 0; for (let i = 0; i < 2e5; i++) x += Math.sqrt(i + x) % 5; return x; }
const server = createServer((req, res) => res.end(String(hotHandler())));
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  console.log('listening');
  const load = () => fetch('http://127.0.0.1:' + port + '/').then((r) => r.text()).then(load, () => {});
  load();
});
`,
  );
  // Its own process group, as a shell gives a foreground job: Ctrl-C signals the whole group.
  const child = spawn(process.execPath, [cli, 'run', '--out', join(dir, 'out'), 'server.mjs'], {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((done) => {
    let timer;
    child.stdout.once('data', () => {
      timer = setTimeout(() => process.kill(target === 'group' ? -child.pid : child.pid, signal), 2000);
    });
    // Deadline: a run that never stops fails the test instead of hanging it.
    const deadline = setTimeout(() => process.kill(-child.pid, 'SIGKILL'), 60_000);
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      clearTimeout(deadline);
      setImmediate(() => done({ code, sig, stdout, stderr, out: join(dir, 'out') }));
    });
  });
}

for (const [signal, target, code] of [
  ['SIGINT', 'group', 130],
  ['SIGTERM', 'group', 143],
  ['SIGINT', 'cli', 130],
  ['SIGTERM', 'cli', 143],
]) {
  test(`${signal} to the ${target === 'group' ? `process group${signal === 'SIGINT' ? ' (Ctrl-C)' : ''}` : "CLI's own process"} stops a server, writes its profile, exits ${code}`, async (t) => {
    const r = await stopServer(signal, target);
    t.is(r.code, code, r.stderr);
    t.regex(r.stderr, new RegExp(`was stopped by ${signal} \\(exit code ${code}\\)`));
    t.is(firstRow(r.stderr, 'top 10 by self time'), 'hotHandler', r.stderr);
    t.true(existsSync(join(r.out, 'profile.html')));
    // The raw profile stays beside the outputs; top reads it back.
    const top = ferroprof(['top', r.out]);
    t.is(top.status, 0, top.stderr);
    t.is(firstRow(top.stdout, 'top 10 by self time'), 'hotHandler');
  });
}

test('run app.ts: with tsx installed it runs; without a loader one line says what to install (or Node strips types itself)', (t) => {
  const dir = tmp();
  writeFileSync(
    join(dir, 'app.ts'),
    'function typed(n: number): number { let x = 0; for (let i = 0; i < n; i++) x += Math.sqrt(i + x) % 3; return x; }\nconst end: number = Date.now() + 300;\nwhile (Date.now() < end) typed(100000);\nconsole.log("ts ran");\n',
  );
  // From the repository, tsx (a dev dependency) resolves.
  const withTsx = ferroprof(['run', '--out', join(dir, 'out'), join(dir, 'app.ts')], repo);
  t.is(withTsx.status, 0, withTsx.stderr);
  t.regex(withTsx.stdout, /ts ran/);
  t.regex(withTsx.stderr, /typed \(.*app\.ts:\d+\)/, 'the TypeScript function is in the tables');
  // From a folder where no loader resolves.
  const bare = ferroprof(['run', '--out', join(dir, 'out2'), 'app.ts'], dir);
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (process.features.typescript || major > 22 || (major === 22 && minor >= 6)) {
    t.is(bare.status, 0, bare.stderr);
    t.regex(bare.stdout, /ts ran/);
  } else {
    t.is(bare.status, 1);
    t.is(bare.stdout, '', 'the script did not run');
    const lines = bare.stderr.trim().split('\n');
    t.is(lines.length, 1, bare.stderr);
    t.regex(lines[0], /^ferroprof: app\.ts is TypeScript .*npm install --save-dev tsx/);
  }
  // --import chooses the loader explicitly.
  const explicit = ferroprof(['run', '--import', 'tsx', '--out', join(dir, 'out3'), join(dir, 'app.ts')], repo);
  t.is(explicit.status, 0, explicit.stderr);
});

test('run . runs the folder as node . does; arguments are checked before the script runs', (t) => {
  const dir = tmp();
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ main: 'main.js' }));
  writeFileSync(join(dir, 'main.js'), 'const e = Date.now() + 200; while (Date.now() < e); console.log("main ran");\n');
  const r = ferroprof(['run', '--out', join(dir, 'out'), '.'], dir);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /main ran/);
  // A bad --out fails before the script runs (it would print "main ran").
  writeFileSync(join(dir, 'afile'), '');
  const bad = ferroprof(['run', '--out', join(dir, 'afile', 'sub'), '.'], dir);
  t.is(bad.status, 1);
  t.is(bad.stdout, '');
  t.regex(bad.stderr, /^ferroprof: --out .*cannot write there/);
});

test('view and top read back the speedscope, pprof and raw outputs of run, and select a thread', (t) => {
  const dir = tmp();
  const out = join(dir, 'out');
  const r = ferroprof(['run', '--out', out, example, '800'], dir);
  t.is(r.status, 0, r.stderr);
  for (const file of ['profile.speedscope.json', 'profile.pb.gz', 'raw']) {
    const top = ferroprof(['top', join(out, file)], dir);
    t.is(top.status, 0, `${file}: ${top.stderr}`);
    t.is(firstRow(top.stdout, 'top 10 by self time'), 'hotLoop', file);
    t.regex(top.stdout, /main \(thread 0\): .* = busy .* \+ idle .* \+ not sampled/);
    const view = ferroprof(['view', '--out', join(dir, `view-${file}`), join(out, file)], dir);
    t.is(view.status, 0, `${file}: ${view.stderr}`);
  }
  t.is(ferroprof(['top', '--thread', 'main', out], dir).status, 0);
  const missing = ferroprof(['top', '--thread', '7', out], dir);
  t.is(missing.status, 1);
  t.regex(missing.stderr, /no thread 7; threads: 0 \(main\)/);
  const list = ferroprof(['top', '--list', out], dir);
  t.regex(list.stdout, /threads \(--thread ID\|NAME\):\n {2}0 {2}main/);
});

test('bad input gives one ferroprof line and a non-zero exit, never a stack trace', (t) => {
  const dir = tmp();
  writeFileSync(join(dir, 'corrupt.envelope'), '{"event_id":"x"}\n{"type":"profile_chunk","length":500}\n{"short":1}\n');
  writeFileSync(join(dir, 'garbage.envelope.gz'), 'not gzip at all');
  writeFileSync(join(dir, 'notjson.json'), '{"profile": ');
  mkdirSync(join(dir, 'empty'));
  writeFileSync(join(dir, 'empty', 'readme.txt'), 'nothing to see');
  const cases = [
    [['run', 'missing.js'], /cannot find script missing\.js/],
    [['run'], /run needs a script/],
    [['run', '--hz', '0', 'x.js'], /--hz must be/],
    [['run', '--format', 'png', 'x.js'], /unknown --format png/],
    [['view', 'nope.envelope'], /cannot read nope\.envelope/],
    [['view', 'corrupt.envelope'], /runs past the end/],
    [['top', 'garbage.envelope.gz'], /not valid gzip/],
    [['top', 'notjson.json'], /not valid JSON|not a ferroprof or Sentry profile/],
    [['top', 'empty'], /no envelope or profile files/],
    [['frobnicate'], /unknown command/],
  ];
  for (const [args, message] of cases) {
    const r = ferroprof(args, dir);
    t.not(r.status, 0, args.join(' '));
    const lines = r.stderr.trim().split('\n');
    t.is(lines.length, 1, `${args.join(' ')}: ${r.stderr}`);
    t.regex(lines[0], /^ferroprof: /);
    t.regex(lines[0], message);
  }
});

test('--help describes each command on stdout; --version prints the version', (t) => {
  for (const args of [['--help'], ['run', '--help'], ['view', '--help'], ['top', '--help']]) {
    const r = ferroprof(args);
    t.is(r.status, 0);
    t.regex(r.stdout, /Usage: ferroprof/);
    t.is(r.stderr, '');
  }
  t.regex(ferroprof(['run', '--help']).stdout, /--import MODULE[\s\S]*--require MODULE[\s\S]*ferroprof\/preload/);
  const version = ferroprof(['--version']);
  t.is(version.status, 0);
  t.is(version.stdout.trim(), `ferroprof ${JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version}`);
});

test('view and top select one transaction of the SDK local folder (and list what is there)', (t) => {
  const dir = tmp();
  const sdk = fileURLToPath(new URL('../dist/index.js', import.meta.url));
  writeFileSync(
    join(dir, 'app.mjs'),
    `import { init, withTransaction, close } from ${JSON.stringify(sdk)};
init({ dsn: '', tracesSampleRate: 1, profilesSampleRate: 1 });
function spin(ms) { const e = performance.now() + ms; let x = 0; while (performance.now() < e) x += Math.sqrt(x + 1); return x; }
function fnAlpha() { return spin(300); }
function fnBeta() { return spin(300); }
await withTransaction({ name: 'alpha', op: 'task' }, async () => fnAlpha());
await withTransaction({ name: 'beta', op: 'task' }, async () => fnBeta());
await close(5000);
`,
  );
  const r = spawnSync(process.execPath, ['app.mjs'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, SENTRY_DSN: '' },
  });
  t.is(r.status, 0, r.stderr);
  const list = ferroprof(['top', '--list', '.ferroprof'], dir);
  t.is(list.status, 0, list.stderr);
  t.regex(list.stdout, /transactions \(--transaction NAME\|ID\): \n {2}alpha {2}[0-9a-f]{32}\n {2}beta {2}[0-9a-f]{32}/);
  const alpha = ferroprof(['top', '--transaction', 'alpha', '.ferroprof'], dir);
  t.is(alpha.status, 0, alpha.stderr);
  t.regex(alpha.stdout, /fnAlpha/);
  t.notRegex(alpha.stdout, /fnBeta/);
  const view = ferroprof(['view', '--transaction', 'beta', '--out', 'beta-out', '.ferroprof'], dir);
  t.is(view.status, 0, view.stderr);
  t.regex(view.stdout, /fnBeta/);
  t.notRegex(view.stdout, /fnAlpha/);
  const missing = ferroprof(['top', '--transaction', 'gamma', '.ferroprof'], dir);
  t.is(missing.status, 1);
  t.regex(missing.stderr, /^ferroprof: no transaction profile named or with id gamma; transactions: alpha, beta\n$/);
});
