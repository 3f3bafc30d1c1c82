import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';

import test from 'ava';

import { HttpTransport } from '../dist/transport.js';

const DIST = new URL('../dist/transport.js', import.meta.url).href;

/** A Sentry-like server on 127.0.0.1 that records every request (bodies decompressed). */
async function startServer(respond = () => ({})) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks);
      const gzipped = req.headers['content-encoding'] === 'gzip';
      const rec = { url: req.url, method: req.method, headers: req.headers, raw, at: Date.now() };
      rec.body = (gzipped ? gunzipSync(raw) : raw).toString('utf8');
      rec.items = itemsOf(rec.body);
      requests.push(rec);
      const answer = (await respond(rec, requests.length - 1)) ?? {};
      rec.status = answer.status ?? 200;
      res.writeHead(rec.status, answer.headers ?? {});
      res.end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    port,
    dsn: `http://pubkey@127.0.0.1:${port}/42`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A serialized envelope with the given items (`length` in each item header). */
function envelope(items, eventId = randomUUID().replaceAll('-', '')) {
  const lines = [JSON.stringify({ event_id: eventId })];
  for (const { type, payload } of items) {
    const body = JSON.stringify(payload);
    lines.push(JSON.stringify({ type, length: Buffer.byteLength(body) }), body);
  }
  return `${lines.join('\n')}\n`;
}

function itemsOf(body) {
  const buf = Buffer.from(body);
  const items = [];
  let pos = buf.indexOf(10) + 1;
  while (pos > 0 && pos < buf.length) {
    const end = buf.indexOf(10, pos);
    const header = JSON.parse(buf.subarray(pos, end).toString());
    const start = end + 1;
    const stop = header.length !== undefined ? start + header.length : buf.indexOf(10, start);
    items.push({ type: header.type, payload: JSON.parse(buf.subarray(start, stop).toString()) });
    pos = stop + 1;
  }
  return items;
}

const profileEnvelope = (n, size = 10) => envelope([{ type: 'profile', payload: { n, pad: 'x'.repeat(size) } }]);
const clientReports = (requests) =>
  requests.flatMap((r) => r.items.filter((i) => i.type === 'client_report').map((i) => i.payload));

function collectLogs() {
  const lines = [];
  return { lines, logger: (line) => lines.push(line) };
}

test.serial('delivers with Sentry headers; large bodies gzip-compressed, small ones not', async (t) => {
  const server = await startServer();
  const { lines, logger } = collectLogs();
  const transport = new HttpTransport({ dsn: server.dsn, sdkVersion: '1.2.3', logger, clientReportIntervalMs: 0 });
  const big = profileEnvelope(1, 5000);
  const small = profileEnvelope(2, 10);
  transport.send(big, { categories: ['profile'] });
  transport.send(new TextEncoder().encode(small), { categories: ['profile'] });
  t.true(await transport.flush(2000));
  t.is(server.requests.length, 2);
  for (const r of server.requests) {
    t.is(r.method, 'POST');
    t.is(r.url, '/api/42/envelope/');
    t.is(r.headers['content-type'], 'application/x-sentry-envelope');
    t.is(r.headers['x-sentry-auth'], 'Sentry sentry_version=7, sentry_key=pubkey, sentry_client=ferroprof/1.2.3');
  }
  const bigReq = server.requests.find((r) => r.body === big);
  const smallReq = server.requests.find((r) => r.body === small);
  t.truthy(bigReq, 'the gzip body decompresses to the envelope');
  t.is(bigReq.headers['content-encoding'], 'gzip');
  t.true(bigReq.raw.length < Buffer.byteLength(big));
  t.truthy(smallReq);
  t.is(smallReq.headers['content-encoding'], undefined);
  t.deepEqual(lines, []);
  t.deepEqual(transport.getDroppedCounts(), []);
  t.true(await transport.close(1000));
  await server.close();
});

test.serial('server down: flush(500) resolves false in time, one log line, no unhandled rejection', async (t) => {
  const server = await startServer();
  await server.close(); // the port is now closed: connection refused
  const rejections = [];
  const onRejection = (reason) => rejections.push(reason);
  process.on('unhandledRejection', onRejection);
  const { lines, logger } = collectLogs();
  const transport = new HttpTransport({ dsn: server.dsn, logger, clientReportIntervalMs: 0 });
  for (let i = 0; i < 30; i += 1) transport.send(profileEnvelope(i), { categories: ['profile'] });
  const started = Date.now();
  const ok = await transport.flush(500);
  const elapsed = Date.now() - started;
  t.false(ok);
  t.true(elapsed >= 450 && elapsed < 1500, `flush took ${elapsed} ms`);
  t.is(lines.length, 1, lines.join('\n'));
  t.regex(lines[0], new RegExp(`^ferroprof: cannot reach Sentry at 127\\.0\\.0\\.1:${server.port}: ECONNREFUSED; will retry$`));
  t.false(await transport.close(0));
  await delay(50);
  // What was still queued or retrying at close is counted, not lost silently.
  const total = transport.getDroppedCounts().reduce((n, c) => n + c.quantity, 0);
  t.is(total, 30);
  process.removeListener('unhandledRejection', onRejection);
  t.deepEqual(rejections, []);
});

test.serial('the transport never keeps the process alive, except while flush() is awaited', async (t) => {
  // This server never answers, so requests stay in flight.
  const held = [];
  const server = http.createServer((_req, res) => held.push(res));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dsn = `http://k@127.0.0.1:${server.address().port}/1`;
  const script = `
    const { HttpTransport } = await import(${JSON.stringify(DIST)});
    const t = new HttpTransport({ dsn: ${JSON.stringify(dsn)} });
    for (let i = 0; i < 5; i++) t.send('{}\\n{"type":"profile"}\\n{}\\n', { categories: ['profile'] });
    const started = Date.now();
    const ok = await t.flush(300);
    console.log(JSON.stringify({ ok, ms: Date.now() - started }));
    // no close(): the pending requests alone must not keep the process running
  `;
  const started = Date.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  const elapsed = Date.now() - started;
  for (const res of held) res.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  t.is(code, 0);
  const result = JSON.parse(out.trim());
  t.false(result.ok);
  t.true(result.ms >= 280, `flush waited ${result.ms} ms`);
  t.true(elapsed < 4000, `child ran ${elapsed} ms`);
});

test.serial('429 with Retry-After: 1 → nothing is sent until it expires, then sending resumes', async (t) => {
  const server = await startServer((_rec, i) => (i === 0 ? { status: 429, headers: { 'Retry-After': '1' } } : {}));
  const { lines, logger } = collectLogs();
  const transport = new HttpTransport({ dsn: server.dsn, logger, clientReportIntervalMs: 0 });
  transport.send(profileEnvelope(0), { categories: ['profile'] });
  t.true(await transport.flush(2000));
  const limitedAt = Date.now();
  t.is(server.requests.length, 1);
  t.is(server.requests[0].status, 429);

  transport.send(profileEnvelope(1), { categories: ['profile'] });
  transport.send(envelope([{ type: 'transaction', payload: {} }]), { categories: ['transaction'] });
  t.true(await transport.flush(500));
  await delay(200);
  t.is(server.requests.length, 1, 'nothing is sent while limited (not even the client report)');

  await delay(Math.max(0, limitedAt + 1100 - Date.now()));
  const after = profileEnvelope(2);
  transport.send(after, { categories: ['profile'] });
  t.true(await transport.flush(2000));
  t.true(server.requests.slice(1).every((r) => r.at >= limitedAt + 950));
  t.truthy(server.requests.find((r) => r.body === after));
  // The two envelopes held back are reported; the one the server refused is not (the server counted it).
  const reported = clientReports(server.requests).flatMap((r) => r.discarded_events);
  t.deepEqual(
    reported.sort((a, b) => a.category.localeCompare(b.category)),
    [
      { reason: 'ratelimit_backoff', category: 'profile', quantity: 1 },
      { reason: 'ratelimit_backoff', category: 'transaction', quantity: 1 },
    ],
  );
  t.is(lines.filter((l) => /rate-limiting/.test(l)).length, 1);
  t.true(await transport.close(1000));
  await server.close();
});

test.serial('X-Sentry-Rate-Limits for profile_chunk blocks only that category, also on 2xx', async (t) => {
  const server = await startServer((_rec, i) =>
    i === 0 ? { headers: { 'X-Sentry-Rate-Limits': '60:profile_chunk:organization:quota_exceeded, 60:monitor:project' } } : {},
  );
  const transport = new HttpTransport({ dsn: server.dsn, logger: () => {}, clientReportIntervalMs: 0 });
  transport.send(profileEnvelope(0), { categories: ['profile'] });
  t.true(await transport.flush(2000));

  transport.send(envelope([{ type: 'profile_chunk', payload: { c: 1 } }]), { categories: ['profile_chunk'] });
  transport.send(profileEnvelope(1), { categories: ['profile'] });
  // A mixed envelope loses only its limited item.
  const mixed = envelope([
    { type: 'transaction', payload: { t: 1 } },
    { type: 'profile_chunk', payload: { c: 2 } },
  ]);
  transport.send(mixed, { categories: ['transaction', 'profile_chunk'] });
  t.true(await transport.flush(2000));

  const types = server.requests.slice(1).map((r) => r.items.map((i) => i.type).join('+'));
  t.deepEqual(types.sort(), ['client_report', 'profile', 'transaction']);
  t.false(server.requests.some((r) => r.items.some((i) => i.type === 'profile_chunk')));
  t.deepEqual(clientReports(server.requests)[0].discarded_events, [
    { reason: 'ratelimit_backoff', category: 'profile_chunk', quantity: 2 },
  ]);
  t.true(await transport.close(1000));
  await server.close();
});

test.serial('500 then 200 → retried and delivered exactly once', async (t) => {
  const server = await startServer((_rec, i) => (i === 0 ? { status: 500 } : {}));
  const { lines, logger } = collectLogs();
  const transport = new HttpTransport({ dsn: server.dsn, logger, retry: { baseDelayMs: 50 }, clientReportIntervalMs: 0 });
  const env = profileEnvelope(7);
  transport.send(env, { categories: ['profile'] });
  t.true(await transport.flush(3000));
  t.deepEqual(
    server.requests.map((r) => [r.status, r.body === env]),
    [
      [500, true],
      [200, true],
    ],
  );
  t.deepEqual(transport.getDroppedCounts(), []);
  t.is(lines.length, 1);
  t.regex(lines[0], /answered HTTP 500; will retry/);
  t.true(await transport.close(1000));
  await server.close();
});

test.serial('5xx forever → gives up after maxRetries, counted as send_error', async (t) => {
  const server = await startServer(() => ({ status: 503 }));
  const transport = new HttpTransport({
    dsn: server.dsn,
    logger: () => {},
    retry: { maxRetries: 2, baseDelayMs: 20 },
    sendClientReports: false,
  });
  transport.send(profileEnvelope(1), { categories: ['profile'] });
  t.false(await transport.flush(3000));
  t.is(server.requests.length, 3);
  t.deepEqual(transport.getDroppedCounts(), [{ reason: 'send_error', category: 'profile', quantity: 1 }]);
  await transport.close(100);
  await server.close();
});

test.serial('slow server and tiny queue: bounded, oldest dropped, drops reported in a client_report', async (t) => {
  const server = await startServer(async () => {
    await delay(200);
    return {};
  });
  const { lines, logger } = collectLogs();
  const transport = new HttpTransport({
    dsn: server.dsn,
    logger,
    maxQueueSize: 2,
    maxConcurrentRequests: 1,
    clientReportIntervalMs: 0,
  });
  const envs = Array.from({ length: 10 }, (_, i) => profileEnvelope(i));
  for (const env of envs) transport.send(env, { categories: ['profile'] });
  // One in flight, two queued: the seven in between were dropped, oldest first.
  t.deepEqual(transport.getDroppedCounts(), [{ reason: 'queue_overflow', category: 'profile', quantity: 7 }]);
  t.is(lines.length, 1);
  t.regex(lines[0], /queue is full .*queue_overflow/);
  t.true(await transport.flush(4000));
  const delivered = server.requests.filter((r) => r.items[0]?.type === 'profile').map((r) => r.items[0].payload.n);
  t.deepEqual(delivered, [0, 8, 9]);
  t.deepEqual(
    clientReports(server.requests).map((r) => r.discarded_events),
    [[{ reason: 'queue_overflow', category: 'profile', quantity: 7 }]],
  );
  const report = clientReports(server.requests)[0];
  t.true(Math.abs(report.timestamp - Date.now() / 1000) < 10);
  t.true(await transport.close(1000));
  await server.close();
});

test.serial('413 → not retried, logged once, counted as send_error', async (t) => {
  const server = await startServer(() => ({ status: 413 }));
  const { lines, logger } = collectLogs();
  const transport = new HttpTransport({ dsn: server.dsn, logger, retry: { baseDelayMs: 10 }, sendClientReports: false });
  for (let i = 0; i < 5; i += 1) transport.send(profileEnvelope(i), { categories: ['profile'] });
  t.false(await transport.flush(2000), 'rejected envelopes were not delivered');
  await delay(100);
  t.is(server.requests.length, 5);
  t.is(lines.length, 1, lines.join('\n'));
  t.regex(lines[0], /HTTP 413 Payload Too Large; not retrying/);
  t.deepEqual(transport.getDroppedCounts(), [{ reason: 'send_error', category: 'profile', quantity: 5 }]);
  await transport.close(100);
  await server.close();
});

test.serial('bad input to send never throws; send after close is dropped and counted', async (t) => {
  const server = await startServer();
  const { lines, logger } = collectLogs();
  const transport = new HttpTransport({ dsn: server.dsn, logger, sendClientReports: false });
  t.notThrows(() => transport.send(undefined, undefined));
  t.notThrows(() => transport.send(42, { categories: 'profile' }));
  t.true(lines.some((l) => /must be a string or a Uint8Array, got undefined/.test(l)));
  t.true(await transport.close(1000));
  transport.send(profileEnvelope(1), { categories: ['profile'] });
  t.deepEqual(transport.getDroppedCounts(), [{ reason: 'internal_sdk_error', category: 'profile', quantity: 1 }]);
  t.true(lines.some((l) => /after the transport was closed/.test(l)));
  await server.close();
});
