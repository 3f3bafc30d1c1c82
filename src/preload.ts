/**
 * Preloaded by `ferroprof run` (`node --import …/preload.js script.js`). Node passes
 * `--import` on to worker threads, so this also runs in every worker: workers only
 * sample, the main thread's window collects the samples of all of them.
 *
 * Reads `FERROPROF_RUN_DIR` (where to write) and `FERROPROF_RUN_HZ`; does nothing
 * without them. With `FERROPROF_RUN_CHUNKS_DIR` (for `--format envelope`) the main
 * thread also runs the SDK's continuous profiler in local mode, which writes Sentry
 * `profile_chunk` envelopes (encoded and checked by the native core) to that folder.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

import * as sampler from './sampler.js';
import { init } from './sdk/api.js';
import type { WindowProfile } from './sampler.js';

type CloseSync = (id: number, timeoutMs: number) => WindowProfile | null;

const dir = process.env.FERROPROF_RUN_DIR;
const hz = Number(process.env.FERROPROF_RUN_HZ ?? sampler.DEFAULT_FREQUENCY_HZ);
const chunksDir = process.env.FERROPROF_RUN_CHUNKS_DIR;

function warn(message: string): void {
  process.stderr.write(`ferroprof: ${message}\n`);
}

function write(profile: WindowProfile): void {
  try {
    writeFileSync(join(dir!, `window-${process.pid}.json`), JSON.stringify(profile));
  } catch (err) {
    warn(`could not write the profile: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function startMain(): void {
  sampler.startSampling(hz);
  if (chunksDir) {
    // No DSN (not even SENTRY_DSN): local mode, one envelope per chunk in chunksDir.
    init({
      dsn: '',
      localDir: chunksDir,
      tracesSampleRate: 0,
      _experiments: { profilerMode: 'continuous', continuousProfilingAutoStart: true, profilerSchedulerFrequency: hz },
    });
  }
  const window = sampler.openWindow();
  let done = false;
  // Feature-detected: a synchronous close lets `process.exit()` and crashes write too.
  const closeSync = (sampler as Record<string, unknown>).closeWindowSync as CloseSync | undefined;

  process.on('beforeExit', () => {
    if (done) return;
    done = true;
    window.close().then(
      (profile) => {
        write(profile);
        sampler.stopSampling();
      },
      (err: unknown) => warn(`could not close the profile: ${err instanceof Error ? err.message : String(err)}`),
    );
  });

  // `process.exit()` skips `beforeExit`: only a synchronous close can save those runs.
  if (typeof closeSync === 'function') {
    process.on('exit', () => {
      if (done) return;
      done = true;
      const profile = closeSync(window.id, 2000);
      sampler.stopSampling();
      if (profile) write(profile);
      else warn('the profile could not be closed at process.exit()');
    });
  }

  // An uncaught error ends the process before an asynchronous close resolves: report it
  // as Node does, save the profile, then exit 1 as Node would have.
  process.on('uncaughtException', (err: unknown) => {
    process.stderr.write(`Uncaught ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
    if (done) process.exit(1);
    done = true;
    window.close().then(
      (profile) => {
        write(profile);
        process.exit(1);
      },
      () => process.exit(1),
    );
  });
}

function startWorker(): void {
  sampler.startSampling(hz);
  // Hands the worker's last samples over before its isolate goes away.
  process.on('exit', () => {
    sampler.flush();
    sampler.stopSampling();
  });
}

if (dir) {
  try {
    if (isMainThread) startMain();
    else startWorker();
  } catch (err) {
    warn(`profiling is off: ${err instanceof Error ? err.message : String(err)}`);
  }
}
