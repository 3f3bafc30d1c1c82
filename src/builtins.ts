import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

/**
 * A Node built-in, loaded at its first use instead of at import: `node:https` pulls in
 * `tls`, `net` and OpenSSL, `node:zlib` and `node:crypto` their own bindings (together
 * about 3 MB of RSS and several ms of start-up), and a process that never sends to
 * Sentry (local mode, the sampler alone) needs none of them.
 *
 * @returns a getter that loads the module once and then returns it.
 */
export function lazyBuiltin<T>(name: `node:${string}`): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= requireHere(name) as T;
    return loaded;
  };
}
