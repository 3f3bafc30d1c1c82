// One long CPU-bound run, the profiler on for all of it (continuous, or one transaction).
import { measure } from '../measure.mjs';
import { steadyWorkload, yieldToLoop } from '../workload.mjs';

const BATCH = 40; // units between event-loop turns (about 10–20 ms): a busy but live process

async function runSteady(units) {
  for (let done = 0; done < units; done += BATCH) {
    steadyWorkload(Math.min(BATCH, units - done));
    await yieldToLoop();
  }
}

export async function steady(cfg, adapter) {
  adapter.start();
  // Warm-up with the profiler on: JIT tiers settle and one-off start costs (V8's code
  // logging walk) land here, so the timed part is the steady state.
  await runSteady(Math.round(cfg.units / 10));
  return measure(() => adapter.txnAsync('steady', () => runSteady(cfg.units)));
}
