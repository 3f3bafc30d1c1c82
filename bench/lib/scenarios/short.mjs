// Many short transactions (about 1–5 ms of CPU each), each profiled or only traced.
import { measure } from '../measure.mjs';
import { shortTransactionWork, yieldToLoop } from '../workload.mjs';

export async function short(cfg, adapter) {
  adapter.start();
  return measure(async () => {
    for (let i = 0; i < cfg.transactions; i++) {
      adapter.txn(`short-${i % 16}`, () => shortTransactionWork(i));
      await yieldToLoop();
    }
  });
}
