// Node's own `--cpu-prof` at a given rate, for a child process: the flags and the folder
// its profile is written to (the caller removes it when the child exits).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `{ dir, execArgv }` for a child profiled by `--cpu-prof` at `hz`. */
export function cpuProfFlags(hz) {
  const dir = mkdtempSync(join(tmpdir(), 'cpuprof-'));
  // V8's sampler sleeps the interval after each tick; 9901 µs is what ~101 Hz asks.
  return { dir, execArgv: ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', String(Math.round(1e6 / hz))] };
}
