// RSS of the fastify service of bench/real under a steady load for N minutes, with no
// profiler and with each profiler variant, all at once (so they share the machine's
// state): RSS after a full GC every minute, the difference to no profiler, and the
// growth over the second half of the run.
//
//   node bench/service-soak.mjs [--minutes 10] [--rate 200]
//       [--variants cpu-prof@101,ferroprof@101,ferroprof@1001,sentry@101]
import { fork } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import autocannon from 'autocannon';

import { cpuProfFlags } from './lib/cpu-prof.mjs';
import { rssGrowthPerMinute } from './lib/stats.mjs';

const self = fileURLToPath(import.meta.url);

if (process.argv[2] === '--child') {
  const cfg = JSON.parse(process.argv[3]);
  const { setup } = await import('./real/profilers.mjs');
  const { httpService } = await import('./real/workloads.mjs');
  const prof = await setup(cfg.profiler, cfg.hz);
  const server = await httpService(prof.wrap);
  const start = Date.now();
  setInterval(() => {
    globalThis.gc?.();
    const m = process.memoryUsage();
    const mb = (x) => x / 2 ** 20;
    // RSS beside V8's heap and external memory: what is not V8's is native (malloc).
    process.send({
      t: Math.round((Date.now() - start) / 1000),
      rssMb: mb(m.rss),
      heapMb: mb(m.heapTotal),
      externalMb: mb(m.external),
    });
  }, 60_000);
  process.on('message', async (m) => {
    if (m !== 'stop') return;
    await server.close();
    await prof.stop();
    process.exit(0);
  });
  process.send({ port: server.port });
} else {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '10' },
      rate: { type: 'string', default: '200' },
      variants: { type: 'string', default: 'ferroprof@101,ferroprof@1001,ferroprof-txn@101,sentry@101,datadog@101' },
    },
  });
  const minutes = Number(values.minutes);
  const variants = ['none@0', ...values.variants.split(',')].map((v) => {
    const [profiler, hz] = v.split('@');
    return { name: profiler === 'none' ? 'none' : v, profiler, hz: Number(hz) };
  });
  const series = {};
  const children = await Promise.all(
    variants.map(
      (v) =>
        new Promise((resolve) => {
          // V8's own floor: the same profiler `--cpu-prof` drives, at the same interval.
          const prof = v.profiler === 'cpu-prof' ? cpuProfFlags(v.hz) : { execArgv: [] };
          const c = fork(self, ['--child', JSON.stringify(v)], { execArgv: ['--expose-gc', ...prof.execArgv] });
          if (prof.dir) c.on('exit', () => rmSync(prof.dir, { recursive: true, force: true }));
          series[v.name] = [];
          c.on('message', (m) => {
            if (m.port) resolve({ v, c, port: m.port });
            else series[v.name].push(m);
          });
        }),
    ),
  );
  await Promise.all(
    children.map(({ port }) =>
      autocannon({
        url: `http://127.0.0.1:${port}/items?n=200`,
        connections: 2,
        overallRate: Number(values.rate),
        duration: minutes * 60 + 5,
      }),
    ),
  );
  for (const { c } of children) c.send('stop');
  const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '–');
  const names = variants.map((v) => v.name);
  const lines = [
    `Service RSS under ${values.rate} req/s for ${minutes} min, every variant at once (node bench/service-soak.mjs --minutes ${minutes} --rate ${values.rate} --variants ${values.variants})`,
    '',
    `| t (min) | ${names.map((n) => (n === 'none' ? 'none (MB)' : `${n} Δ MB`)).join(' | ')} |`,
    `|---|${names.map(() => '---').join('|')}|`,
  ];
  series.none.forEach((row, i) => {
    const cells = names.map((n) => (n === 'none' ? f(row.rssMb) : f(series[n][i]?.rssMb - row.rssMb)));
    lines.push(`| ${Math.round(row.t / 60)} | ${cells.join(' | ')} |`);
  });
  lines.push(
    '',
    `RSS growth over the second half (MB/min): ${names.map((n) => `${n} ${f(rssGrowthPerMinute(series[n]), 2)}`).join(', ')}.`,
  );
  const last = (n) => series[n][series[n].length - 1];
  lines.push(
    `At the end, V8 heap / external / rest of RSS (MB): ${names.map((n) => `${n} ${f(last(n)?.heapMb)} / ${f(last(n)?.externalMb)} / ${f(last(n)?.rssMb - last(n)?.heapMb - last(n)?.externalMb)}`).join('; ')}.`,
  );
  console.log(lines.join('\n'));
}
