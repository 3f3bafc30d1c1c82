// Times a stretch of a run three ways: wall clock, CPU of the JS (main) thread, and CPU
// of the whole process (profiler threads included). On a shared machine the JS thread's
// run-queue wait says how much of the wall time was other people's load.
import { readFileSync } from 'node:fs';

const SCHEDSTAT = `/proc/${process.pid}/task/${process.pid}/schedstat`;

/** [on-CPU ns, run-queue wait ns] of the main thread; NaN where /proc is absent. */
function mainThreadSched() {
  try {
    const [cpu, wait] = readFileSync(SCHEDSTAT, 'utf8').trim().split(/\s+/).map(Number);
    return [cpu, wait];
  } catch {
    return [NaN, NaN];
  }
}

export async function measure(fn) {
  const [cpu0, wait0] = mainThreadSched();
  const proc0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wallMs = performance.now() - t0;
  const proc = process.cpuUsage(proc0);
  const [cpu1, wait1] = mainThreadSched();
  return {
    wallMs,
    jsCpuMs: (cpu1 - cpu0) / 1e6,
    runQueueWaitMs: (wait1 - wait0) / 1e6,
    procCpuMs: (proc.user + proc.system) / 1000,
  };
}
