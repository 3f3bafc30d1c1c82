// One benchmark run of one variant in a fresh process. The parent forks this file
// with the variant's config as JSON in argv[2] and receives the result over IPC.
import { monitorEventLoopDelay } from 'node:perf_hooks';

import { createAdapter } from './adapters/index.mjs';
import { CallRecorder } from './calls.mjs';
import { SCENARIOS } from './scenarios/index.mjs';
import { WireCounter } from './wire.mjs';

const cfg = JSON.parse(process.argv[2]);
const calls = new CallRecorder();
const wire = new WireCounter();

async function main() {
  const scenario = SCENARIOS[cfg.scenario];
  if (!scenario) throw new Error(`unknown scenario ${cfg.scenario}`);
  const eld = monitorEventLoopDelay({ resolution: 1 });
  const adapter = await createAdapter(cfg, calls, wire);
  eld.enable();
  const cpu0 = process.cpuUsage();
  const measured = await scenario(cfg, adapter, calls);
  const cpu = process.cpuUsage(cpu0);
  const t0 = performance.now();
  const { self } = await adapter.stop();
  const stopMs = performance.now() - t0;
  eld.disable();
  wire.finalize();
  const mem = process.memoryUsage();
  return {
    ...measured,
    api: adapter.info.api,
    hz: adapter.info.hz,
    cpuMs: (cpu.user + cpu.system) / 1000,
    stopAndFlushMs: stopMs,
    eldMaxMs: eld.max / 1e6,
    eldP99Ms: eld.percentile(99) / 1e6,
    calls: calls.ms,
    wire: wire.toJSON(),
    self,
    rssEndMb: mem.rss / 2 ** 20,
  };
}

main().then(
  (result) => {
    process.send({ ok: true, result }, () => process.exit(0));
  },
  (err) => {
    process.send({ ok: false, error: String(err?.stack ?? err) }, () => process.exit(1));
  },
);
