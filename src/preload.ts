/**
 * The preload of `ferroprof run` (`node --import ferroprof/preload script.js`), exported
 * so it can be used without the CLI. Node passes `--import` on to worker threads, so
 * this also runs in every worker: workers only sample, the main thread's window
 * collects the samples of all of them.
 *
 * Reads `FERROPROF_RUN_DIR` (where the raw profile goes, `window-<pid>.json`, which
 * `ferroprof view`/`top` read, and beside it `window-<pid>.sources.json`, the code V8
 * ran of files a loader compiled in memory, for the CLI's source maps) and `FERROPROF_RUN_HZ`; does nothing without
 * `FERROPROF_RUN_DIR`. With `FERROPROF_RUN_CHUNKS_DIR` (for `--format envelope`) the
 * main thread also runs the SDK's continuous profiler in local mode, which writes
 * Sentry `profile_chunk` envelopes to that folder. With `FERROPROF_RUN_SIGNAL_FD`, the
 * main thread writes the name of each SIGINT/SIGTERM/SIGHUP it receives to that file
 * descriptor, so that `ferroprof run` forwards only the signals the script did not get.
 *
 * Errors are left to Node: it prints them itself (with `cause`, custom properties and
 * the source excerpt); the profile is written from the `exit` event, which Node emits
 * before it exits on an uncaught error, on `process.exit()` and at a normal end.
 *
 * @packageDocumentation
 */
import { writeFileSync, writeSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

import * as sampler from './binding.js';
import { generatedSources } from './generated-sources.js';
import { init } from './sdk/api.js';
import type { WindowProfile } from './binding.js';

const dir = process.env.FERROPROF_RUN_DIR;
const hz = Number(process.env.FERROPROF_RUN_HZ ?? sampler.DEFAULT_FREQUENCY_HZ);
const chunksDir = process.env.FERROPROF_RUN_CHUNKS_DIR;
const signalFd = Number(process.env.FERROPROF_RUN_SIGNAL_FD ?? NaN);

/** The signals `ferroprof run` turns into "write the profile, then stop". */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** How long a signal may wait for the profile to close (the user is waiting too). */
const SIGNAL_CLOSE_MS = 1500;

function warn(message: string): void {
  process.stderr.write(`ferroprof: ${message}\n`);
}

function write(profile: WindowProfile): void {
  try {
    writeFileSync(join(dir!, `window-${process.pid}.json`), JSON.stringify(profile));
  } catch (err) {
    warn(`could not write the profile: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  // After the profile, so a failure here costs only the mapping of in-memory code.
  try {
    const paths = new Set(profile.frames.map((f) => f.abs_path).filter((p): p is string => p !== undefined && isAbsolute(p)));
    const sources = generatedSources(paths);
    if (Object.keys(sources).length > 0)
      writeFileSync(join(dir!, `window-${process.pid}.sources.json`), JSON.stringify({ sources }));
  } catch (err) {
    warn(`could not write the code of in-memory modules: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Tells `ferroprof run` that this process got `signal` itself (so it need not forward it). */
function noticeSignal(signal: string): void {
  if (!Number.isInteger(signalFd)) return;
  try {
    writeSync(signalFd, `${signal}\n`);
  } catch {
    // the CLI is gone or closed the pipe: nothing to tell
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

  /** Closes the window now (bounded by `timeoutMs`) and writes it; once. */
  const closeNow = (timeoutMs: number, when: string) => {
    if (done) return;
    done = true;
    const profile = sampler.closeWindowSync(window.id, timeoutMs);
    sampler.stopSampling();
    if (profile) write(profile);
    else warn(`the profile could not be closed ${when}`);
  };

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

  // `process.exit()` and uncaught errors skip `beforeExit`; Node still emits `exit`.
  process.on('exit', () => closeNow(2000, 'at exit'));

  // A signal whose default action is to end the process: write the profile of what ran,
  // then end by the same signal (the exit status says so: 130, 143, 129). A script that
  // handles the signal itself keeps control; its exit writes the profile. A second
  // signal ends the process at once whatever the script's handlers say.
  let signals = 0;
  for (const signal of STOP_SIGNALS) {
    const onSignal = () => {
      noticeSignal(signal);
      signals += 1;
      const scriptHandles = process.listenerCount(signal) > 1;
      if (scriptHandles && signals === 1) return;
      closeNow(SIGNAL_CLOSE_MS, `at ${signal}`);
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

function startWorker(): void {
  sampler.startSampling(hz);
  // Hands the worker's last samples over before its isolate goes away.
  process.on('exit', () => {
    sampler.handOverSamples();
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
