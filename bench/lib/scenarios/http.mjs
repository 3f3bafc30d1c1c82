// A node:http service with CPU-bound and async routes. The parent drives it with
// autocannon: this process says which port it listens on, then waits for "stop".
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

import { hashStrings } from '../../../examples/workload.mjs';
import { steadyWorkload, yieldToLoop } from '../workload.mjs';

const ROUTES = {
  /** CPU-bound: about 2 ms. */
  '/cpu': async () => ({ v: steadyWorkload(4) }),
  /** Light CPU: about 0.5 ms. */
  '/cpu-light': async () => ({ v: steadyWorkload(1) }),
  /** I/O-like wait, then a little CPU. */
  '/async': async () => {
    await sleep(2);
    return { v: steadyWorkload(1) };
  },
  /** Several event-loop turns with a little work in each. */
  '/mixed': async () => {
    let v = 0;
    for (let i = 0; i < 3; i++) {
      await yieldToLoop();
      v ^= hashStrings(200);
    }
    return { v };
  },
};

export const ROUTE_PATHS = Object.keys(ROUTES);

export async function http(_cfg, adapter) {
  adapter.start();
  let served = 0;
  const server = createServer((req, res) => {
    const route = ROUTES[req.url];
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    adapter
      .txnAsync(`GET ${req.url}`, route)
      .then((body) => {
        served++;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      })
      .catch((err) => {
        res.writeHead(500).end(String(err));
      });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const stopped = new Promise((resolve) => {
    process.on('message', (m) => {
      if (m === 'stop') resolve();
    });
  });
  process.send({ listening: server.address().port });
  const t0 = performance.now();
  await stopped;
  const wallMs = performance.now() - t0;
  const closed = new Promise((resolve) => server.close(resolve));
  server.closeAllConnections();
  await closed;
  return { wallMs, served };
}
