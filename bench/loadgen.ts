/**
 * Child process of bench/run.ts: the benchmark's clients (undici keep-alive pools) and its webhook receiver.
 * It runs nothing by itself; it answers the parent's requests over the IPC channel and exits when told to or when
 * the parent goes away.
 */
import type { Pool } from 'undici';
import { closedLoop, openLoop, openPool } from './load';
import type { RequestSpec } from './load';
import type { CommandName, Commands, Reply, Request, Target } from './protocol';
import type { BenchReceiver } from './receiver';
import { startBenchReceiver } from './receiver';
import { summarize } from './stats';

let receiver: BenchReceiver | null = null;
const pools = new Map<string, Pool>();

const poolFor = (origin: string, connections: number): Pool => {
  const key = `${origin}#${connections}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = openPool(origin, connections);
    pools.set(key, pool);
  }
  return pool;
};

/** Runs `work`, adding this process's CPU meanwhile (percent of one core) to its result. */
const withCpu = async <T extends object>(work: () => Promise<T>): Promise<T & { clientCpuPct: number }> => {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await work();
  const cpu = process.cpuUsage(cpu0);
  return { ...value, clientCpuPct: ((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100 };
};

/** Keys never repeat within this load generator (a warm-up and its measured run count requests from 0 each). */
let keysIssued = 0;
const keyPrefix = `bench_${process.pid}_${Date.now().toString(36)}_`;
const specOf = (t: Target): RequestSpec => ({
  path: t.path,
  headers: t.idempotencyKeys ? () => ({ ...t.headers, 'idempotency-key': `${keyPrefix}${keysIssued++}` }) : () => t.headers,
  body: () => t.body,
});

const needReceiver = (): BenchReceiver => {
  if (!receiver) throw new Error('receiver not started');
  return receiver;
};

type Handlers = { [K in CommandName]: (args: Commands[K]['args']) => Promise<Commands[K]['result']> };

const handlers: Handlers = {
  'receiver:start': async () => {
    receiver ??= await startBenchReceiver();
    return { url: receiver.url, origin: receiver.origin };
  },
  'receiver:reset': async () => {
    needReceiver().reset();
    return null;
  },
  'receiver:count': async () => {
    const r = needReceiver();
    return { distinct: r.arrivals.size, requests: r.requests() };
  },

  accept: async ({ target, concurrency, warmupMs, durationMs, maxRequests }) => {
    const pool = poolFor(target.origin, concurrency);
    const spec = specOf(target);
    if (warmupMs > 0) await closedLoop(pool, spec, { concurrency, maxRequests, durationMs: warmupMs });
    const answerMs: number[] = [];
    return withCpu(async () => {
      const r = await closedLoop(pool, spec, {
        concurrency,
        maxRequests,
        durationMs,
        onAnswer: (_i, _status, _body, startedAt, endedAt) => answerMs.push(endedAt - startedAt),
      });
      return { ok: r.ok, failed: r.failed, statuses: r.statuses, firstError: r.firstError, elapsedMs: r.elapsedMs, answerMs: summarize(answerMs) };
    });
  },

  e2e: ({ target, count, concurrency, timeoutMs, also = [] }) => withCpu(async () => {
    const rcv = needReceiver();
    rcv.reset();
    const answerMs: number[] = [];
    const targets = [target, ...also];
    const share = (total: number, k: number): number => Math.floor(total / targets.length) + (k < total % targets.length ? 1 : 0);
    const loops = targets.map((t, k) =>
      closedLoop(poolFor(t.origin, share(concurrency, k)), specOf(t), {
        concurrency: share(concurrency, k),
        maxRequests: share(count, k),
        durationMs: timeoutMs,
        onAnswer: (_i, _status, _body, startedAt, endedAt) => answerMs.push(endedAt - startedAt),
      }),
    );
    const nthArrival = rcv.waitForDistinct(count, timeoutMs);
    const results = await Promise.all(loops);
    const sent = {
      ok: results.reduce((n, r) => n + r.ok, 0),
      failed: results.reduce((n, r) => n + r.failed, 0),
      firstError: results.find((r) => r.firstError !== null)?.firstError ?? null,
      startedAt: Math.min(...results.map((r) => r.startedAt)),
      endedAt: Math.max(...results.map((r) => r.endedAt)),
    };
    const distinctWhenAccepted = rcv.arrivals.size;
    const at = await nthArrival;
    return {
      ok: sent.ok,
      failed: sent.failed,
      firstError: sent.firstError,
      acceptedMs: sent.endedAt - sent.startedAt,
      deliveredMs: at === null ? null : at - sent.startedAt,
      distinctWhenAccepted,
      distinct: rcv.arrivals.size,
      requests: rcv.requests(),
      answerMs: summarize(answerMs),
    };
  }),

  latency: ({ target, ratePerSecond, durationMs, drainTimeoutMs }) => withCpu(async () => {
    const rcv = needReceiver();
    rcv.reset();
    const pool = poolFor(target.origin, 64);
    const sends = new Map<string, { startedAt: number; answeredAt: number }>();
    const answerMs: number[] = [];
    const r = await openLoop(pool, specOf(target), {
      ratePerSecond,
      durationMs,
      readJson: true,
      onAnswer: (_i, status, body, startedAt, endedAt) => {
        answerMs.push(endedAt - startedAt);
        const id = typeof body === 'object' && body !== null && 'id' in body ? (body as { id: unknown }).id : undefined;
        if (status === 202 && typeof id === 'string') sends.set(id, { startedAt, answeredAt: endedAt });
      },
    });
    // Everything accepted must arrive; wait for it (bounded).
    const deadline = performance.now() + drainTimeoutMs;
    const allArrived = () => [...sends.keys()].every((id) => rcv.arrivals.has(id));
    while (!allArrived() && performance.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    const latency: number[] = [];
    const afterAnswer: number[] = [];
    let missing = 0;
    for (const [id, s] of sends) {
      const at = rcv.arrivals.get(id);
      if (at === undefined) {
        missing++;
        continue;
      }
      latency.push(at - s.startedAt);
      afterAnswer.push(at - s.answeredAt);
    }
    return {
      issued: r.issued,
      ok: r.ok,
      failed: r.failed,
      firstError: r.firstError,
      sendElapsedMs: r.elapsedMs,
      maxLateMs: r.maxLateMs,
      delivered: latency.length,
      missing,
      latencyMs: summarize(latency),
      answerMs: summarize(answerMs),
      afterAnswerMs: summarize(afterAnswer),
    };
  }),

  exit: async () => {
    setImmediate(() => void shutdown(0));
    return null;
  },
};

const shutdown = async (code: number): Promise<void> => {
  await Promise.allSettled([...pools.values()].map((p) => p.destroy()));
  await receiver?.close();
  process.exit(code);
};

const reply = (message: Reply) => {
  if (process.connected) process.send?.(message);
};

process.on('message', (raw: unknown) => {
  const req = raw as Request;
  const handler = handlers[req.cmd] as (args: unknown) => Promise<unknown>;
  handler(req.args).then(
    (result) => reply({ id: req.id, ok: true, result }),
    (error: unknown) => reply({ id: req.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
// The parent went away (crash, Ctrl-C): do not outlive it.
process.on('disconnect', () => void shutdown(0));
