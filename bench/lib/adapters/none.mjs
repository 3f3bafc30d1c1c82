// The baseline: no profiler, no SDK. Transactions are plain function calls.
export async function createNoneAdapter() {
  return {
    info: { profiler: 'none', api: 'none', hz: 0 },
    externalRotation: false,
    start() {},
    txn(_name, fn) {
      return fn();
    },
    async txnAsync(_name, fn) {
      return fn();
    },
    rotate() {},
    async stop() {
      return { self: null };
    },
  };
}
