// Many short transactions (about 1–5 ms of CPU each), each profiled or only traced.
import { shortTransactionWork, yieldToLoop } from '../workload.mjs';

export async function short(cfg, adapter) {
  adapter.start();
  const t0 = performance.now();
  for (let i = 0; i < cfg.transactions; i++) {
    adapter.txn(`short-${i % 16}`, () => shortTransactionWork(i));
    await yieldToLoop();
  }
  const wallMs = performance.now() - t0;
  return { wallMs };
}
