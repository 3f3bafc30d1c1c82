// A real, local Sentry-like ingest for the SDK tests: node:http on 127.0.0.1 (random
// port) serving POST /api/<project>/envelope/. It records every request (headers,
// X-Sentry-Auth, the body gunzipped when Content-Encoding is gzip, the envelope split
// into header and items) and answers as each test scripts it: a sequence of responses
// (status, headers such as Retry-After or X-Sentry-Rate-Limits, delay, or a dropped
// connection), then a default.

import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';

import { itemJson, parseEnvelope } from '../../dist/transport.js';

const ENVELOPE_PATH = /^\/api\/(\d+)\/envelope\/?$/;

/**
 * Splits an uncompressed envelope into `{ header, items }` with the envelope model
 * (ferroprof/transport); each item is `{ header, payload (Buffer), json (parsed
 * payload or undefined) }`. Throws on a malformed envelope (the tests want to see that).
 */
export function splitEnvelope(bytes) {
  const envelope = parseEnvelope(Buffer.from(bytes));
  const items = envelope.items.map((item) => {
    let json;
    try {
      json = itemJson(item);
    } catch {
      json = undefined;
    }
    return { header: item.header, payload: Buffer.from(item.payload), json };
  });
  return { header: envelope.header, items };
}

/** `Sentry sentry_version=7, sentry_key=abc, ...` → `{ sentry_version: '7', sentry_key: 'abc', ... }`. */
export function parseSentryAuth(value) {
  if (typeof value !== 'string') return undefined;
  const out = {};
  for (const part of value.replace(/^Sentry\s+/i, '').split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts the ingest. `options.publicKey` (default `publickey`) and `options.project`
 * (default 42) make the DSN. Returns the controller described below.
 */
export async function startIngest({ publicKey = 'publickey', project = 42 } = {}) {
  /** Every request that reached the server, in arrival order. */
  const requests = [];
  /** Scripted responses, used first-in first-out; then `fallback`. */
  const script = [];
  let fallback = { status: 200 };
  const waiters = new Set();
  const sockets = new Set();

  const notify = () => {
    for (const w of [...waiters]) w();
  };

  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks);
      const gzip = /gzip/i.test(req.headers['content-encoding'] ?? '');
      // Sentry's JavaScript SDKs put the auth in the query string (`?sentry_key=…`).
      const [path, query] = (req.url ?? '').split('?', 2);
      const match = ENVELOPE_PATH.exec(path ?? '');
      const record = {
        at: Date.now(),
        method: req.method,
        url: req.url,
        project: match ? Number(match[1]) : undefined,
        headers: req.headers,
        auth:
          parseSentryAuth(req.headers['x-sentry-auth']) ?? (query ? Object.fromEntries(new URLSearchParams(query)) : undefined),
        gzip,
        raw,
        body: undefined,
        envelope: undefined,
        parseError: undefined,
        status: undefined,
      };
      try {
        record.body = gzip ? gunzipSync(raw) : raw;
        record.envelope = splitEnvelope(record.body);
      } catch (err) {
        record.parseError = String(err);
      }
      const reply = req.method === 'POST' && match ? (script.length > 0 ? script.shift() : fallback) : { status: 404 };
      record.status = reply.close ? 'closed' : (reply.status ?? 200);
      requests.push(record);
      notify();
      if (reply.delayMs) await sleep(reply.delayMs);
      if (reply.close) {
        req.socket.destroy();
        return;
      }
      res.writeHead(reply.status ?? 200, { 'Content-Type': 'application/json', ...(reply.headers ?? {}) });
      res.end(reply.status === undefined || reply.status < 300 ? '{"id":null}' : '{"detail":"scripted"}');
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 1000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();

  const ingest = {
    port,
    /** The DSN of this ingest. */
    dsn: `http://${publicKey}@127.0.0.1:${port}/${project}`,
    requests,

    /** Queues scripted responses: `{ status, headers, delayMs, close }` each. */
    respond(...replies) {
      script.push(...replies);
      return ingest;
    },
    /** The response once the script is used up (default `{ status: 200 }`). */
    setDefault(reply) {
      fallback = reply;
      return ingest;
    },

    /** Envelopes of the requests answered 2xx (or of all requests with `{ all: true }`). */
    envelopes({ all = false } = {}) {
      return requests
        .filter((r) => r.envelope && (all || (typeof r.status === 'number' && r.status < 300)))
        .map((r) => r.envelope);
    },
    /** Items of `type` in accepted envelopes; each item has `header`, `payload`, `json`. */
    items(type, options) {
      return ingest.envelopes(options).flatMap((e) => e.items.filter((i) => i.header.type === type));
    },
    /** The parsed payloads of the items of `type` in accepted envelopes. */
    payloads(type, options) {
      return ingest.items(type, options).map((i) => i.json);
    },

    /** Resolves once `predicate(ingest)` holds; rejects after `timeoutMs`. */
    waitFor(predicate, timeoutMs = 5000, what = 'the ingest condition') {
      return new Promise((resolve, reject) => {
        const check = () => {
          let ok = false;
          try {
            ok = predicate(ingest);
          } catch {
            ok = false;
          }
          if (!ok) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(ingest);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },

    /** Forgets what was recorded and the scripted responses. */
    reset() {
      requests.length = 0;
      script.length = 0;
      fallback = { status: 200 };
    },

    /** Stops the server, dropping open connections; later requests are refused. */
    close() {
      for (const w of [...waiters]) waiters.delete(w);
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return ingest;
}

/** A DSN whose port was just free and nothing listens on (a server that is down). */
export async function deadDsn() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return `http://publickey@127.0.0.1:${port}/42`;
}

/** Replaces console.warn for the duration of `fn`, returning the lines it received. */
export async function captureWarnings(fn) {
  const lines = [];
  const original = console.warn;
  console.warn = (...args) => lines.push(args.map(String).join(' '));
  try {
    await fn(lines);
  } finally {
    console.warn = original;
  }
  return lines;
}

/** Starts capturing console.warn; call the returned function to stop. `lines` fills meanwhile. */
export function warnCapture() {
  const lines = [];
  const original = console.warn;
  console.warn = (...args) => lines.push(args.map(String).join(' '));
  return {
    lines,
    restore() {
      console.warn = original;
    },
  };
}

/**
 * Runs `validateEnvelope` (Sentry's ingestion rules, from the addon) on the body of every
 * request that reached the ingest; returns the failures as `{ url, error }` (empty when
 * all pass). Bodies that arrived gzip-compressed are also checked compressed.
 */
export function invalidEnvelopes(ingest, validateEnvelope) {
  const bad = [];
  for (const r of ingest.requests) {
    try {
      if (r.parseError) throw new Error(r.parseError);
      validateEnvelope(r.body, false);
      if (r.gzip) validateEnvelope(r.raw, true);
    } catch (err) {
      bad.push({ url: r.url, error: String(err?.message ?? err) });
    }
  }
  return bad;
}

/** For each sample of a profile (v1 `profile` or v2 `profile_chunk`), the function names on its stack. */
export function sampleStacks(profilePayload) {
  const { frames, stacks, samples } = profilePayload.profile;
  return samples.map((s) => (stacks[s.stack_id] ?? []).map((i) => frames[i]?.function));
}

/** How many samples have a frame named `name` on their stack. */
export function samplesIn(profilePayload, name) {
  return sampleStacks(profilePayload).filter((names) => names.includes(name)).length;
}

/** The frames named `name`. */
export function framesNamed(profilePayload, name) {
  return profilePayload.profile.frames.filter((f) => f.function === name);
}

/** Spins the CPU for `ms` inside `fn` (a named function of the caller), returning its result. */
export function spin(ms) {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  return x;
}

/** Lets timers, I/O and the HTTP transport run. */
export function tick(ms = 0) {
  return new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));
}
