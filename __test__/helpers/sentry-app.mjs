// An application folder for one @sentry/node major, laid out as npm lays out an app:
//
//   app/node_modules/@sentry/node  → the devDependency alias sentry-node-<major>
//   app/node_modules/@sentry/core  → the @sentry/core that very @sentry/node loads
//   app/node_modules/ferroprof/    → a real folder: package.json and a copy of dist/
//                                    (the binary is found through its npm/ folder)
//
// ferroprof is copied, not linked: Node resolves a linked package's imports from its real
// path, so a link would make ferroprof/sentry load the repository's @sentry/core instead
// of the app's. The programs under __test__/fixtures/sentry/ are copied into the folder
// and run there with `runApp`.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixtures = join(root, '__test__', 'fixtures', 'sentry');

/** The @sentry/node majors the tests run against (devDependencies sentry-node-<major>). */
export const SENTRY_MAJORS = [10, 11];

/** The installed version of the alias sentry-node-<major>, or throws saying `npm ci` is needed. */
export function sentryVersion(major) {
  const file = join(root, 'node_modules', `sentry-node-${major}`, 'package.json');
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm ci (devDependency sentry-node-${major})`);
  return JSON.parse(readFileSync(file, 'utf8')).version;
}

const made = new Map();

/** Builds (once per test process) the app folder for `major`; returns its path. */
export function sentryApp(major) {
  if (made.has(major)) return made.get(major);
  const sentryNode = join(root, 'node_modules', `sentry-node-${major}`);
  sentryVersion(major);
  const core = dirname(createRequire(join(sentryNode, 'package.json')).resolve('@sentry/core/package.json'));
  const app = mkdtempSync(join(tmpdir(), `ferroprof-sentry${major}-`));
  const nm = join(app, 'node_modules');
  mkdirSync(join(nm, '@sentry'), { recursive: true });
  symlinkSync(sentryNode, join(nm, '@sentry', 'node'), 'dir');
  symlinkSync(core, join(nm, '@sentry', 'core'), 'dir');
  const fp = join(nm, 'ferroprof');
  mkdirSync(fp);
  cpSync(join(root, 'package.json'), join(fp, 'package.json'));
  cpSync(join(root, 'dist'), join(fp, 'dist'), { recursive: true });
  symlinkSync(join(root, 'npm'), join(fp, 'npm'), 'dir');
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: `sentry${major}-app`, private: true }));
  for (const f of readdirSync(fixtures)) cpSync(join(fixtures, f), join(app, f));
  made.set(major, app);
  process.once('exit', () => rmSync(app, { recursive: true, force: true }));
  return app;
}

/**
 * Runs `program` (a file of __test__/fixtures/sentry/) in the app folder of `major` with
 * `env`; resolves `{ code, signal, stdout, stderr, result }`, `result` being the JSON of
 * the last stdout line that starts with `RESULT `.
 */
export function runApp(major, program, env = {}, { timeoutMs = 90_000, args = [] } = {}) {
  const app = sentryApp(major);
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [...args, program], {
      cwd: app,
      env: { ...process.env, SENTRY_MAJOR: String(major), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').reverse().find((l) => l.startsWith('RESULT '));
      let result;
      try {
        result = line ? JSON.parse(line.slice('RESULT '.length)) : undefined;
      } catch {
        result = undefined;
      }
      resolvePromise({ code, signal, stdout, stderr, result });
    });
  });
}
