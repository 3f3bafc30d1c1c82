// V8's profiler through node:inspector on this thread (what `--cpu-prof` drives), with
// its sampling interval set for `hz`; `post` turns a command into a promise.
import { Session } from 'node:inspector';

export async function inspectorProfiler(hz) {
  const session = new Session();
  session.connect();
  const post = (method, params) => new Promise((res, rej) => session.post(method, params, (e, r) => (e ? rej(e) : res(r))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: Math.round(1e6 / hz) });
  return { session, post };
}
