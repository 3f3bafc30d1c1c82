// The main job on its embedded default: profile the bundled workload at 101 Hz and
// print its hottest functions. `node examples/hot-functions.mjs [milliseconds]`
import { formatTopTable, getSamplerStats, openWindow, startSampling, stopSampling } from '../dist/sampler.js';
import { runWorkload } from './workload.mjs';

const ms = Number(process.argv[2] ?? 2000);
const hz = startSampling(101);
const window = openWindow();
runWorkload(ms);
const profile = await window.close();
stopSampling();

const threads = Object.keys(profile.threadNames).length;
const stats = getSamplerStats();
console.log(
  `ferroprof: ${profile.samples.length} samples over ${((profile.endNs - profile.startNs) / 1e6).toFixed(0)} ms ` +
    `at ${hz.toFixed(0)} Hz on ${threads} thread(s); JS-thread time in the profiler ${(stats.jsNsTotal / 1e6).toFixed(2)} ms`,
);
console.log(formatTopTable(profile, 10));
