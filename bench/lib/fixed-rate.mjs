// Open-loop load at a fixed request rate, latencies in microseconds. autocannon drives a
// service as hard as it goes (a throughput figure) and reports whole milliseconds; a
// profiler's effect on tail latency is a fraction of that, and only an open loop shows it:
// each request has a scheduled send time, and its latency runs from that time, so a
// stalled service is charged for the requests it made wait (no coordinated omission).
import http from 'node:http';

/**
 * Sends `rate` GET requests per second to `url` for `seconds`, over at most `sockets`
 * keep-alive connections. Resolves with the latency percentiles in µs, the requests sent
 * and the errors.
 */
export async function fixedRate(url, { rate, seconds, sockets = 32 }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  const total = Math.round(rate * seconds);
  const periodNs = 1e9 / rate;
  const latencies = new Float64Array(total);
  let done = 0;
  let errors = 0;
  const t0 = process.hrtime.bigint();
  const finished = new Promise((resolve) => {
    const settle = () => {
      if (++done === total) resolve();
    };
    let sent = 0;
    const pump = () => {
      const now = Number(process.hrtime.bigint() - t0);
      while (sent < total && sent * periodNs <= now) {
        const i = sent++;
        const scheduled = i * periodNs;
        const req = http.get(url, { agent }, (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 200) errors++;
            latencies[i] = (Number(process.hrtime.bigint() - t0) - scheduled) / 1000;
            settle();
          });
        });
        req.on('error', () => {
          errors++;
          latencies[i] = Number.NaN;
          settle();
        });
      }
      // A timer of 0 ms still waits for the next loop turn (about 1 ms): sends are batched
      // at that granularity, which the latency from the scheduled time accounts for.
      if (sent < total) setTimeout(pump, 0);
    };
    pump();
  });
  await finished;
  agent.destroy();
  const ok = Array.from(latencies)
    .filter((x) => Number.isFinite(x))
    .sort((a, b) => a - b);
  const pct = (p) => ok[Math.min(ok.length - 1, Math.floor((p / 100) * ok.length))];
  return { requests: total, errors, p50: pct(50), p90: pct(90), p99: pct(99), p999: pct(99.9), max: ok[ok.length - 1] };
}
