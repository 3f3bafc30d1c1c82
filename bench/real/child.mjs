// One run of one workload under one profiler, in a fresh process forked by real.mjs
// (config as JSON in argv[2]). Reports over IPC: wall, CPU, GC time, peak RSS; for the
// HTTP service it first reports its port and waits for the parent's load to end.
import { PerformanceObserver } from 'node:perf_hooks';

import { setup } from './profilers.mjs';
import { BATCH, httpService } from './workloads.mjs';

const cfg = JSON.parse(process.argv[2]);

let gcMs = 0;
let gcCount = 0;
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMs += e.duration;
    gcCount++;
  }
});

function measureStart() {
  gcObserver.observe({ entryTypes: ['gc'] });
  return { cpu: process.cpuUsage(), t0: performance.now() };
}

async function measureEnd(m) {
  const wallMs = performance.now() - m.t0;
  const cpu = process.cpuUsage(m.cpu);
  // Node turns GC notifications into entries from the event loop: let it turn first.
  await new Promise((resolve) => setTimeout(resolve, 20));
  for (const e of gcObserver.takeRecords()) {
    gcMs += e.duration;
    gcCount++;
  }
  gcObserver.disconnect();
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, gcMs, gcCount };
}

async function main() {
  const prof = await setup(cfg.profiler, cfg.hz, cfg.native);
  if (cfg.workload.startsWith('http')) {
    const server = await httpService(prof.wrap);
    let m;
    process.on('message', async (msg) => {
      if (msg === 'measure') {
        m = measureStart();
        process.send({ measuring: true });
      } else if (msg === 'stop') {
        const measured = await measureEnd(m);
        await server.close();
        const self = await prof.stop();
        finish({ ...measured, self });
      }
    });
    process.send({ port: server.port });
    return;
  }
  const m = measureStart();
  const out = await BATCH[cfg.workload](prof.wrap, cfg.scale ?? 1);
  const measured = await measureEnd(m);
  const self = await prof.stop();
  finish({ ...measured, ...out, self });
}

// Without IPC (run by hand, under perf) the result goes to stdout.
function report(msg, done) {
  if (process.send) return process.send(msg, done);
  console.log(JSON.stringify(msg));
  done();
}

function finish(result) {
  result.maxRssMb = process.resourceUsage().maxRSS / 1024;
  report({ ok: true, result }, () => process.exit(0));
}

main().catch((err) => {
  report({ ok: false, error: String(err?.stack ?? err) }, () => process.exit(1));
});
