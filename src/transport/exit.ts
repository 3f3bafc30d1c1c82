import type { Transport } from './types.js';

/**
 * Flushes `transport` when the event loop empties (`beforeExit`), once. The flush's own
 * timer keeps the process alive for at most `timeoutMs`; afterwards the process exits
 * normally (the hook removes itself, so the next `beforeExit` does not flush again and
 * cannot loop forever).
 *
 * Limits: `beforeExit` is not emitted on `process.exit()`, on signals, or on uncaught
 * exceptions, and at `exit` nothing asynchronous can run any more. Call
 * `await transport.flush()` / `close()` yourself before `process.exit()`.
 *
 * @returns a function that removes the hook.
 */
export function installExitFlush(transport: Transport, timeoutMs = 2000): () => void {
  const onBeforeExit = () => {
    process.removeListener('beforeExit', onBeforeExit);
    try {
      void Promise.resolve(transport.flush(timeoutMs)).catch(() => false);
    } catch {
      // Nothing to do at exit: the flush just did not happen.
    }
  };
  process.on('beforeExit', onBeforeExit);
  return () => process.removeListener('beforeExit', onBeforeExit);
}
