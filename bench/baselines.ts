import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import Koa from 'koa';
import { closedLoop, openPool } from './load';
import type { LoadResult } from './load';

/** What the baselines need to stop. */
export type Closable = Readonly<{ origin: string; close: () => Promise<void> }>;

const closeServer = (server: Server): Promise<void> =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

/**
 * Baseline of figure 1: a bare koa app whose one route reads the body, parses the same JSON and answers 202 with a
 * small JSON body, as the send route does, minus everything Hookbase does in between (auth, rate limit, validation,
 * the append and the read-your-writes wait).
 */
export const startKoaBaseline = async (): Promise<Closable> => {
  const app = new Koa();
  const route = /^\/v1\/applications\/[^/]+\/messages$/;
  // Figure 9's baseline: an ingest route that reads and parses the provider's body and answers 202 {id, status}.
  const ingest = /^\/ingest\/[^/]+\/[^/]+$/;
  app.use(async (ctx) => {
    if (ctx.method === 'POST' && ingest.test(ctx.path)) {
      const chunks: Buffer[] = [];
      for await (const chunk of ctx.req as AsyncIterable<Buffer>) chunks.push(chunk);
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      ctx.status = 202;
      ctx.body = { id: `ibe_${randomUUID()}`, status: 'accepted' };
      return;
    }
    if (ctx.method !== 'POST' || !route.test(ctx.path)) {
      ctx.status = 404;
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) chunks.push(chunk);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { eventType?: unknown; payload?: unknown };
    ctx.status = 202;
    ctx.body = { id: `msg_${randomUUID()}`, eventType: body.eventType, payload: body.payload, timestamp: new Date().toISOString(), outbound: [] };
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => closeServer(server) };
};

/**
 * Baseline of figure 2: bare undici POSTs of a webhook-sized body straight to the receiver, `concurrency` at a time,
 * each with its own webhook-id; done when every POST was answered (so the receiver has them all).
 */
export const barePosts = async (receiverUrl: string, body: string, count: number, concurrency: number, timeoutMs: number): Promise<LoadResult> => {
  const url = new URL(receiverUrl);
  const pool = openPool(url.origin, concurrency);
  const run = randomUUID().slice(0, 8);
  try {
    return await closedLoop(
      pool,
      {
        path: url.pathname,
        headers: (i) => ({
          'content-type': 'application/json',
          'user-agent': 'Hookbase/bench',
          'webhook-id': `msg_bare_${run}_${i}`,
          'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
          'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
        }),
        body: () => body,
      },
      { concurrency, maxRequests: count, durationMs: timeoutMs },
    );
  } finally {
    await pool.destroy();
  }
};

export type SqliteReadResult = Readonly<{ events: number; elapsedMs: number }>;

/**
 * Baseline of figure 4: read every event of the embedded store (table `events`, see store/embedded/schema.ts) with
 * better-sqlite3 and JSON.parse its data, nothing else. Best of `runs`.
 */
export const bareSqliteRead = (eventsDbPath: string, runs = 3): SqliteReadResult => {
  const db = new Database(eventsDbPath, { readonly: true, fileMustExist: true });
  try {
    const stmt = db.prepare<[], { data: string }>('SELECT * FROM events ORDER BY position');
    let best: SqliteReadResult = { events: 0, elapsedMs: Number.POSITIVE_INFINITY };
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      let n = 0;
      let sink = 0;
      for (const row of stmt.iterate()) {
        const data = JSON.parse(row.data) as Record<string, unknown>;
        sink += Object.keys(data).length;
        n++;
      }
      const elapsedMs = performance.now() - t0;
      if (sink < 0) throw new Error('unreachable'); // keeps the parse from being optimised away
      if (elapsedMs < best.elapsedMs) best = { events: n, elapsedMs };
    }
    return best;
  } finally {
    db.close();
  }
};
