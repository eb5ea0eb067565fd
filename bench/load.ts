import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

/** One HTTP request of a load: the same target every time, the body and headers may vary by index. */
export type RequestSpec = Readonly<{
  path: string;
  headers: (i: number) => Record<string, string>;
  body: (i: number) => string;
}>;

export type ClosedLoopOptions = Readonly<{
  /** Clients, each with one request in flight and its own keep-alive connection. */
  concurrency: number;
  /** Stop issuing after this many requests. */
  maxRequests: number;
  /** Stop issuing after this long (ms). */
  durationMs: number;
  /** Called with each answer's status and (when `readJson`) its parsed body. */
  onAnswer?: (i: number, status: number, body: unknown, startedAt: number, endedAt: number) => void;
  /** Parse answers as JSON (otherwise they are read and dropped). */
  readJson?: boolean;
}>;

export type LoadResult = Readonly<{
  /** Answers with a 2xx status. */
  ok: number;
  /** Answers with any other status, and requests that failed. */
  failed: number;
  statuses: Record<string, number>;
  firstError: string | null;
  startedAt: number;
  endedAt: number;
  elapsedMs: number;
}>;

/** A keep-alive pool to one origin with one connection per client. */
export const openPool = (origin: string, connections: number): Pool =>
  new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000 });

const errorText = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

type Tally = { ok: number; failed: number; statuses: Record<string, number>; firstError: string | null };

const issue = async (pool: Pool, spec: RequestSpec, i: number, readJson: boolean, tally: Tally, onAnswer: ClosedLoopOptions['onAnswer']): Promise<void> => {
  const startedAt = performance.now();
  try {
    const res = await pool.request({ path: spec.path, method: 'POST', headers: spec.headers(i), body: spec.body(i) });
    let body: unknown = undefined;
    if (readJson) body = await res.body.json().catch(() => undefined);
    else await res.body.dump();
    const key = String(res.statusCode);
    tally.statuses[key] = (tally.statuses[key] ?? 0) + 1;
    if (res.statusCode >= 200 && res.statusCode < 300) tally.ok++;
    else {
      tally.failed++;
      tally.firstError ??= `HTTP ${res.statusCode}${body === undefined ? '' : `: ${JSON.stringify(body).slice(0, 200)}`}`;
    }
    onAnswer?.(i, res.statusCode, body, startedAt, performance.now());
  } catch (e) {
    tally.failed++;
    tally.statuses.error = (tally.statuses.error ?? 0) + 1;
    tally.firstError ??= errorText(e);
  }
};

/**
 * Closed loop: `concurrency` clients each send, wait for the answer, send again, until `maxRequests` were issued or
 * `durationMs` passed. Elapsed time runs from the first request to the last answer.
 */
export const closedLoop = async (pool: Pool, spec: RequestSpec, options: ClosedLoopOptions): Promise<LoadResult> => {
  const tally: Tally = { ok: 0, failed: 0, statuses: {}, firstError: null };
  let next = 0;
  const startedAt = performance.now();
  const deadline = startedAt + options.durationMs;
  const client = async (): Promise<void> => {
    while (next < options.maxRequests && performance.now() < deadline) {
      await issue(pool, spec, next++, options.readJson ?? false, tally, options.onAnswer);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, client));
  const endedAt = performance.now();
  return { ...tally, startedAt, endedAt, elapsedMs: endedAt - startedAt };
};

export type OpenLoopOptions = Readonly<{
  /** Requests per second, paced by a timer, whatever the answers take (open loop). */
  ratePerSecond: number;
  durationMs: number;
  onAnswer?: ClosedLoopOptions['onAnswer'];
  readJson?: boolean;
}>;

/**
 * Open loop: request i is issued at start + i / rate (as close as a 1 ms timer allows), without waiting for
 * earlier answers; requests beyond the pool's connections queue in the client, and that wait counts.
 * `onAnswer`'s `startedAt` is when the request was due to be issued, so a late timer counts against the latency too.
 */
export const openLoop = async (pool: Pool, spec: RequestSpec, options: OpenLoopOptions): Promise<LoadResult & { issued: number; maxLateMs: number }> => {
  const tally: Tally = { ok: 0, failed: 0, statuses: {}, firstError: null };
  const total = Math.max(1, Math.floor((options.ratePerSecond * options.durationMs) / 1000));
  const interval = 1000 / options.ratePerSecond;
  const inFlight = new Set<Promise<void>>();
  const startedAt = performance.now();
  let issued = 0;
  let maxLateMs = 0;
  const fire = (i: number, dueAt: number) => {
    const onAnswer: ClosedLoopOptions['onAnswer'] = options.onAnswer
      ? (idx, status, body, _started, endedAt) => options.onAnswer?.(idx, status, body, dueAt, endedAt)
      : undefined;
    const p = issue(pool, spec, i, options.readJson ?? false, tally, onAnswer).finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (issued < total && startedAt + issued * interval <= now) {
        const dueAt = startedAt + issued * interval;
        maxLateMs = Math.max(maxLateMs, now - dueAt);
        fire(issued, dueAt);
        issued++;
      }
      if (issued >= total) return resolve();
      setTimeout(tick, Math.max(0, Math.min(5, startedAt + issued * interval - performance.now())));
    };
    tick();
  });
  while (inFlight.size > 0) await Promise.all([...inFlight]);
  const endedAt = performance.now();
  return { ...tally, issued, maxLateMs, startedAt, endedAt, elapsedMs: endedAt - startedAt };
};
