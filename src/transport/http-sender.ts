/**
 * The I/O half of {@link HttpTransport}: one envelope POSTed to Sentry's envelope
 * endpoint with `node:http`/`node:https`, within a total deadline, compressed when
 * large. What to send, when, and what an answer means (queue, retries, rate limits,
 * client reports) is the transport's policy, in `http.ts`, as `@sentry/core` splits
 * `createTransport` from the runtime's request function. Internal module.
 */
import type { Agent, ClientRequest, IncomingMessage, RequestOptions } from 'node:http';

import { http, https, zlib } from '../builtins.js';
import { isGzip } from '../envelope.js';
import type { Dsn } from './dsn.js';

/** Compresses off the JS thread (zlib's async API runs on the libuv pool). */
function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => zlib().gzip(bytes, (err, out) => (err ? reject(err) : resolve(out))));
}

/** What one POST came to: Sentry's answer, or why there was none. */
export type PostResult =
  | { kind: 'response'; status: number; statusMessage: string; rateLimits?: string; retryAfter?: string }
  | { kind: 'error'; error: unknown };

/** How {@link HttpSender} talks to Sentry. */
export interface HttpSenderOptions {
  dsn: Dsn;
  /** `name/version` in `X-Sentry-Auth` and `User-Agent`. */
  client: string;
  /** Total deadline of one request (connect, send, answer), ms. */
  timeoutMs: number;
  /** After this many ms unanswered, `onSlow` of the request is called. */
  slowRequestMs: number;
  /** Sockets kept for requests in flight at once. */
  maxSockets: number;
  /** Bodies larger than this many bytes are gzip-compressed. */
  gzipThresholdBytes: number;
}

function headerValue(res: IncomingMessage, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** A request body, compressed once per envelope bytes (retries reuse it). */
export interface Body {
  of: Uint8Array;
  bytes: Uint8Array;
  gzipped: boolean;
}

export class HttpSender {
  /** `host[:port]`, for messages. */
  readonly where: string;
  private readonly url: URL;
  private readonly request: (url: URL, options: RequestOptions) => ClientRequest;
  private readonly agent: Agent;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly slowRequestMs: number;
  private readonly gzipThreshold: number;
  private readonly requests = new Set<ClientRequest>();

  constructor(options: HttpSenderOptions) {
    const { dsn } = options;
    this.where = `${dsn.host}${dsn.port ? `:${dsn.port}` : ''}`;
    this.url = new URL(dsn.envelopeUrl);
    this.timeoutMs = options.timeoutMs;
    this.slowRequestMs = options.slowRequestMs;
    this.gzipThreshold = options.gzipThresholdBytes;
    const secure = dsn.protocol === 'https';
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets };
    // Loaded here, with a DSN to send to: a process that never sends never loads them.
    const client = secure ? https() : http();
    this.agent = new client.Agent(agentOptions);
    this.request = client.request;
    this.headers = {
      'Content-Type': 'application/x-sentry-envelope',
      'User-Agent': options.client,
      'X-Sentry-Auth': `Sentry sentry_version=7, sentry_key=${dsn.publicKey}, sentry_client=${options.client}`,
    };
  }

  /** The body for `bytes`: `previous` if it was made from the same bytes. */
  async body(bytes: Uint8Array, previous: Body | undefined): Promise<Body> {
    if (previous?.of === bytes) return previous;
    if (!isGzip(bytes) && bytes.length > this.gzipThreshold) return { of: bytes, bytes: await gzip(bytes), gzipped: true };
    return { of: bytes, bytes, gzipped: isGzip(bytes) };
  }

  /**
   * One POST within the total deadline; resolves with the response status/headers or
   * the error, never rejects. `onSlow` is called if it is unanswered after `slowRequestMs`.
   */
  post(body: Uint8Array, gzipped: boolean, onSlow: () => void): Promise<PostResult> {
    return new Promise((resolve) => {
      let settled = false;
      let req: ClientRequest | undefined;
      // Unref'd: a request alone never keeps the process alive.
      const slowTimer = setTimeout(onSlow, this.slowRequestMs);
      slowTimer.unref();
      const deadline = setTimeout(() => {
        const error = Object.assign(new Error(`request timed out after ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' });
        req?.destroy(error);
        finish({ kind: 'error', error });
      }, this.timeoutMs);
      deadline.unref();
      const finish = (result: PostResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(slowTimer);
        clearTimeout(deadline);
        if (req) this.requests.delete(req);
        resolve(result);
      };
      const headers: Record<string, string> = { ...this.headers, 'Content-Length': String(body.length) };
      if (gzipped) headers['Content-Encoding'] = 'gzip';
      try {
        req = this.request(this.url, { method: 'POST', agent: this.agent, headers });
      } catch (error) {
        finish({ kind: 'error', error });
        return;
      }
      const request = req;
      this.requests.add(request);
      // Unref'd: an in-flight request alone never keeps the process alive.
      request.on('socket', (socket) => socket.unref());
      request.on('error', (error) => finish({ kind: 'error', error }));
      request.on('response', (res) => {
        const result: PostResult = {
          kind: 'response',
          status: res.statusCode ?? 0,
          statusMessage: res.statusMessage ?? '',
        };
        const rateLimits = headerValue(res, 'x-sentry-rate-limits');
        const retryAfter = headerValue(res, 'retry-after');
        if (rateLimits !== undefined) result.rateLimits = rateLimits;
        if (retryAfter !== undefined) result.retryAfter = retryAfter;
        // The status is the answer: a body that trickles must not hold the request.
        finish(result);
        res.resume(); // drain the body so the keep-alive socket can be reused
      });
      request.end(body);
    });
  }

  /** Abandons every request in flight and closes the sockets. */
  destroy(): void {
    for (const req of [...this.requests]) req.destroy();
    this.agent.destroy();
  }
}
