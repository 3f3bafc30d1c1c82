// An application folder for one @sentry/node major, laid out as npm lays out an app:
//
//   app/node_modules/@sentry/node  → the devDependency alias sentry-node-<major>
//   app/node_modules/@sentry/core  → the @sentry/core that very @sentry/node loads
//   app/node_modules/ferroprof/    → a real folder: package.json and a copy of dist/
//                                    (the binary is found through its npm/ folder)
//
// The incumbent's folder (`incumbentApp`) holds the incumbent too, as its users install it:
//
//   app/node_modules/@sentry/profiling-node → the devDependency alias sentry-profiling-node-<major>
//   app/node_modules/@sentry/node           → the very @sentry/node it loads (the version it pins)
//   app/node_modules/@sentry/core           → the @sentry/core that @sentry/node loads
//
// so one @sentry/node serves both integrations there, and the same scenario runs once with
// nodeProfilingIntegration() and once with ferroprofIntegration() (env INTEGRATION).
//
// ferroprof is copied, not linked: Node resolves a linked package's imports from its real
// path, so a link would make ferroprof/sentry load the repository's @sentry/core instead
// of the app's. The programs under __test__/fixtures/sentry/ are copied into the folder
// and run there with `runApp`.
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
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

/** The installed alias `name`'s folder, or throws saying `npm ci` is needed. */
function installed(name) {
  const dir = join(root, 'node_modules', name);
  if (!existsSync(join(dir, 'package.json'))) throw new Error(`${dir} is missing: run npm ci (devDependency ${name})`);
  return dir;
}

/** The real folder of package `name` as code in `fromDir` resolves it. */
function resolvedFrom(fromDir, name) {
  return dirname(realpathSync(createRequire(join(fromDir, 'package.json')).resolve(`${name}/package.json`)));
}

/** Builds (once per test process and key) an app folder with these packages; returns its path. */
function makeApp(key, packages) {
  if (made.has(key)) return made.get(key);
  const app = mkdtempSync(join(tmpdir(), `ferroprof-${key}-`));
  const nm = join(app, 'node_modules');
  mkdirSync(join(nm, '@sentry'), { recursive: true });
  for (const [name, dir] of Object.entries(packages)) symlinkSync(dir, join(nm, name), 'dir');
  const fp = join(nm, 'ferroprof');
  mkdirSync(fp);
  cpSync(join(root, 'package.json'), join(fp, 'package.json'));
  cpSync(join(root, 'dist'), join(fp, 'dist'), { recursive: true });
  symlinkSync(join(root, 'npm'), join(fp, 'npm'), 'dir');
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: `${key}-app`, private: true }));
  for (const f of readdirSync(fixtures)) cpSync(join(fixtures, f), join(app, f));
  made.set(key, app);
  process.once('exit', () => rmSync(app, { recursive: true, force: true }));
  return app;
}

/** Builds (once per test process) the app folder for `major`; returns its path. */
export function sentryApp(major) {
  const sentryNode = installed(`sentry-node-${major}`);
  sentryVersion(major);
  return makeApp(`sentry${major}`, {
    '@sentry/node': sentryNode,
    '@sentry/core': resolvedFrom(sentryNode, '@sentry/core'),
  });
}

/**
 * The app folder of `@sentry/profiling-node` of `major` (devDependency
 * sentry-profiling-node-<major>) with the @sentry/node it pins; returns its path.
 */
export function incumbentApp(major) {
  const incumbent = realpathSync(installed(`sentry-profiling-node-${major}`));
  const sentryNode = resolvedFrom(incumbent, '@sentry/node');
  return makeApp(`incumbent${major}`, {
    '@sentry/profiling-node': incumbent,
    '@sentry/node': sentryNode,
    '@sentry/core': resolvedFrom(sentryNode, '@sentry/core'),
  });
}

/** Versions in the incumbent's app: `{ incumbent, node, core }` (`core`: the one @sentry/node loads). */
export function incumbentVersions(major) {
  const incumbent = realpathSync(installed(`sentry-profiling-node-${major}`));
  const sentryNode = resolvedFrom(incumbent, '@sentry/node');
  const version = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
  return { incumbent: version(incumbent), node: version(sentryNode), core: version(resolvedFrom(sentryNode, '@sentry/core')) };
}

/**
 * Runs `program` (a file of __test__/fixtures/sentry/) in the app folder of `major` (the
 * incumbent's with `incumbent`) with `env`; resolves `{ code, signal, stdout, stderr, result }`, `result` being the JSON of
 * the last stdout line that starts with `RESULT `.
 */
export function runApp(major, program, env = {}, { timeoutMs = 90_000, args = [], incumbent = false } = {}) {
  const app = incumbent ? incumbentApp(major) : sentryApp(major);
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
      const line = stdout
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('RESULT '));
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
