import { createRequire } from 'node:module';
import type * as Crypto from 'node:crypto';
import type * as Http from 'node:http';
import type * as Https from 'node:https';
import type * as Zlib from 'node:zlib';

const requireHere = createRequire(import.meta.url);

/**
 * A Node built-in, loaded at its first use instead of at import: `node:https` pulls in
 * `tls`, `net` and OpenSSL, `node:zlib` and `node:crypto` their own bindings (together
 * about 3 MB of RSS and several ms of start-up), and a process that never sends to
 * Sentry (local mode, the sampler alone) needs none of them.
 *
 * @returns a getter that loads the module once and then returns it.
 */
function lazyBuiltin<T>(name: `node:${string}`): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= requireHere(name) as T;
    return loaded;
  };
}

/** `node:crypto`, loaded at the first id or random bytes. */
export const crypto = lazyBuiltin<typeof Crypto>('node:crypto');
/** `node:http`, loaded when an `http:` DSN's sender is made. */
export const http = lazyBuiltin<typeof Http>('node:http');
/** `node:https`, loaded when an `https:` DSN's sender is made. */
export const https = lazyBuiltin<typeof Https>('node:https');
/** `node:zlib`, loaded at the first body to compress. */
export const zlib = lazyBuiltin<typeof Zlib>('node:zlib');
