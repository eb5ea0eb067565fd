import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * The local webhook receiver: node:http on 127.0.0.1, reads each body and answers 200. It keeps the first arrival
 * time (performance.now() of this process) of every distinct `webhook-id`, so it can say when N distinct
 * messages arrived and how long each took from its send.
 */
export type BenchReceiver = Readonly<{
  url: string;
  origin: string;
  /** First arrival time by webhook-id, since the last reset. */
  arrivals: ReadonlyMap<string, number>;
  /** Requests since the last reset, duplicates included. */
  requests: () => number;
  reset: () => void;
  /** Resolves with the arrival time of the `count`-th distinct id, or null after `timeoutMs`. */
  waitForDistinct: (count: number, timeoutMs: number) => Promise<number | null>;
  close: () => Promise<void>;
}>;

export const startBenchReceiver = async (): Promise<BenchReceiver> => {
  let arrivals = new Map<string, number>();
  let requests = 0;
  let nth: number[] = []; // arrival time of the k-th distinct id at index k-1
  let waiters: { count: number; resolve: (t: number | null) => void; timer: NodeJS.Timeout }[] = [];

  const server = createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      const at = performance.now();
      requests++;
      // An outbound webhook's id, or an inbound delivery's event id (figure 9).
      const raw = req.headers['webhook-id'] ?? req.headers['x-hookbase-event-id'];
      const id = Array.isArray(raw) ? raw[0] : raw;
      if (id !== undefined && !arrivals.has(id)) {
        arrivals.set(id, at);
        nth.push(at);
        if (waiters.length > 0) {
          waiters = waiters.filter((w) => {
            if (nth.length < w.count) return true;
            clearTimeout(w.timer);
            w.resolve(nth[w.count - 1] ?? at);
            return false;
          });
        }
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      res.end('ok');
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/webhooks`,
    origin,
    get arrivals() {
      return arrivals;
    },
    requests: () => requests,
    reset: () => {
      arrivals = new Map();
      nth = [];
      requests = 0;
      for (const w of waiters) {
        clearTimeout(w.timer);
        w.resolve(null);
      }
      waiters = [];
    },
    waitForDistinct: (count, timeoutMs) =>
      new Promise((resolve) => {
        if (nth.length >= count) return resolve(nth[count - 1] ?? null);
        const waiter = {
          count,
          resolve,
          timer: setTimeout(() => {
            waiters = waiters.filter((w) => w !== waiter);
            resolve(null);
          }, timeoutMs),
        };
        waiters.push(waiter);
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const w of waiters) {
          clearTimeout(w.timer);
          w.resolve(null);
        }
        waiters = [];
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};
