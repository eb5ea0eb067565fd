import { RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';

/** Fixed-window counters: one window per (bucket, subject). */
export type RateLimitDecision = Readonly<{ allowed: boolean; limit: number; remaining: number; resetAt: number }>;

export interface RateLimiter {
  take(bucket: string, subject: string, limit: number, windowMs: number, nowMs: number): Promise<RateLimitDecision>;
}

export type RateLimits = Readonly<{ apiPerMinute: number; sendsPerMinute: number; portalTokensPerHour: number }>;

export const DEFAULT_RATE_LIMITS: RateLimits = { apiPerMinute: 1000, sendsPerMinute: 10_000, portalTokensPerHour: 100 };

/** In-process counters (embedded deployment); a production store keeps them where every instance sees them. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  async take(bucket: string, subject: string, limit: number, windowMs: number, nowMs: number): Promise<RateLimitDecision> {
    const key = `${bucket}:${subject}`;
    const start = Math.floor(nowMs / windowMs) * windowMs;
    let w = this.windows.get(key);
    if (!w || w.start !== start) {
      w = { start, count: 0 };
      this.windows.set(key, w);
      if (this.windows.size > 100_000) this.sweep(nowMs, windowMs);
    }
    const allowed = w.count < limit;
    if (allowed) w.count++;
    return { allowed, limit, remaining: Math.max(0, limit - w.count), resetAt: Math.ceil((start + windowMs) / 1000) };
  }

  private sweep(nowMs: number, windowMs: number): void {
    for (const [k, w] of this.windows) if (w.start + windowMs < nowMs) this.windows.delete(k);
  }
}

/** What `FlexibleRateLimiter` needs to make one limiter of `rate-limiter-flexible` (any of its stores). */
export type FlexibleLimiterFactory = (options: Readonly<{ keyPrefix: string; points: number; durationSeconds: number }>) => RateLimiterAbstract;

/**
 * Counters kept by `rate-limiter-flexible` in a store every instance shares (embedded: its SQLite store on the
 * data dir's operational.db; production: its MongoDB store), so a limit holds across API processes. A window
 * starts at a subject's first request (the library's fixed window per key). One library limiter per bucket,
 * limit and window.
 */
export class FlexibleRateLimiter implements RateLimiter, SharedCounters {
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  constructor(private readonly make: FlexibleLimiterFactory) {}

  private limiter(bucket: string, limit: number, windowMs: number): RateLimiterAbstract {
    const id = `${bucket}:${limit}:${windowMs}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter = this.make({ keyPrefix: `${bucket}_${limit}_${windowMs}`, points: limit, durationSeconds: Math.max(1, Math.ceil(windowMs / 1000)) });
      this.limiters.set(id, limiter);
    }
    return limiter;
  }

  async take(bucket: string, subject: string, limit: number, windowMs: number, nowMs: number): Promise<RateLimitDecision> {
    // When the window ends, in whole seconds, never past a whole window from now.
    const resetAt = (msBeforeNext: number): number => Math.min(Math.ceil((nowMs + msBeforeNext) / 1000), Math.floor((nowMs + windowMs) / 1000));
    try {
      const res = await this.limiter(bucket, limit, windowMs).consume(subject);
      return { allowed: true, limit, remaining: res.remainingPoints, resetAt: resetAt(res.msBeforeNext) };
    } catch (rejection) {
      // The library rejects with its RateLimiterRes when the limit is reached, with an Error when the store fails.
      if (rejection instanceof RateLimiterRes) {
        return { allowed: false, limit, remaining: 0, resetAt: resetAt(rejection.msBeforeNext) };
      }
      throw rejection;
    }
  }

  async add(bucket: string, subject: string, limit: number, windowMs: number, points: number, nowMs: number): Promise<SharedCount> {
    try {
      const res = await this.limiter(bucket, limit, windowMs).consume(subject, points);
      return { total: res.consumedPoints, windowEndsAtMs: nowMs + res.msBeforeNext };
    } catch (rejection) {
      // Past the limit the library still counts the points, and says how many the window holds now.
      if (rejection instanceof RateLimiterRes) return { total: rejection.consumedPoints, windowEndsAtMs: nowMs + rejection.msBeforeNext };
      throw rejection;
    }
  }
}

/** What every process on one store has counted for a key in its current window, once `points` more are added. */
export type SharedCount = Readonly<{ total: number; windowEndsAtMs: number }>;

/** Counters every API process shares (rate-limiter-flexible's stores): adds points in one atomic write. */
export interface SharedCounters {
  add(bucket: string, subject: string, limit: number, windowMs: number, points: number, nowMs: number): Promise<SharedCount>;
}

/** Requests of one key counted here and added to the shared store in one write. */
type Batch = {
  points: number;
  /** Settles with the shared total once this batch is written (created when a request waits for it). */
  written: Promise<number> | null;
  settle: { resolve: (total: number) => void; reject: (error: unknown) => void } | null;
};

const newBatch = (points = 0): Batch => ({ points, written: null, settle: null });

const awaitWrite = (batch: Batch): Promise<number> => {
  if (!batch.written) {
    batch.written = new Promise<number>((resolve, reject) => {
      batch.settle = { resolve, reject };
    });
  }
  return batch.written;
};

/** A key's state in this process: the shared total last heard, and what this process counted since. */
type LocalWindow = {
  /** The shared count after the last write of this process (every process's requests up to then). */
  shared: number;
  /** Counted here, not written yet. */
  open: Batch;
  /** Being written right now. */
  inFlight: number;
  /** When the window ends (ms); until the first write answers, a whole window from the first request. */
  endsAtMs: number;
  /** The write loop of this key, while it runs. */
  writing: Promise<void> | null;
};

type KeyWindow = LocalWindow & Readonly<{ bucket: string; subject: string; limit: number; windowMs: number }>;

/**
 * The shared counters (`SharedCounters`) without a synchronous shared write per request: each process counts in
 * memory and adds its count to the shared store in batches (every `flushEveryMs`, and whenever a request finds
 * `maxUnsynced(limit)` requests of its key counted here and not yet written: that request waits for the write and
 * is decided by its rank in the shared total). A decision takes the shared total last heard plus what this process
 * counted since, so within one process a limit is exact; once a key is over its limit it is refused from memory
 * until its window ends (what rate-limiter-flexible's `inMemoryBlockOnConsumed` does, by our own count).
 *
 * Across processes each one decides on a shared total that misses what the others counted since their last write:
 * a process accepts at most `maxUnsynced(limit)` requests of a key that nobody else has heard of, plus the batch
 * being written, so N processes together accept at most N × 2 × maxUnsynced(limit) past a limit in a window —
 * with maxUnsynced 1 % of the limit (at most 100), and 0 for a limit under 100: every request of such a key then
 * waits for its write, as before. Never fewer than the limit, from one process or several.
 */
export class BatchedRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, KeyWindow>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly shared: SharedCounters,
    private readonly options: Readonly<{ flushEveryMs?: number; onError?: (error: unknown) => void }> = {},
  ) {
    this.timer = setInterval(() => void this.flushAll(), options.flushEveryMs ?? 100);
    this.timer.unref();
  }

  /** How many requests of a key one process may accept before the others can hear of them. */
  static maxUnsynced(limit: number): number {
    return Math.min(100, Math.floor(limit / 100));
  }

  async take(bucket: string, subject: string, limit: number, windowMs: number, nowMs: number): Promise<RateLimitDecision> {
    const key = `${bucket}\u0000${subject}\u0000${limit}\u0000${windowMs}`;
    let w = this.windows.get(key);
    if (w && w.endsAtMs <= nowMs && this.idle(w)) {
      this.windows.delete(key);
      w = undefined;
    }
    if (!w) {
      w = { bucket, subject, limit, windowMs, shared: 0, open: newBatch(), inFlight: 0, endsAtMs: nowMs + windowMs, writing: null };
      this.windows.set(key, w);
    }
    // Over the limit by what this process knows: refused from memory until the window ends.
    if (w.endsAtMs > nowMs && this.counted(w) >= limit) return this.decision(false, w, nowMs);
    const batch = w.open;
    batch.points += 1;
    const index = batch.points;
    if (batch.points <= BatchedRateLimiter.maxUnsynced(limit)) return this.decision(true, w, nowMs);
    // This process may not count more of this key alone: the request waits for the shared total and takes its rank.
    const written = awaitWrite(batch);
    void this.writeLoop(w);
    const total = await written;
    const allowed = total - batch.points + index <= limit;
    return this.decision(allowed, w, nowMs);
  }

  private counted(w: LocalWindow): number {
    return w.shared + w.inFlight + w.open.points;
  }

  private idle(w: LocalWindow): boolean {
    return w.open.points === 0 && w.inFlight === 0 && w.writing === null;
  }

  /** `resetAt`: when the window ends, in whole seconds, never past a whole window from now (as FlexibleRateLimiter). */
  private decision(allowed: boolean, w: KeyWindow, nowMs: number): RateLimitDecision {
    const resetAt = Math.min(Math.ceil(w.endsAtMs / 1000), Math.floor((nowMs + w.windowMs) / 1000));
    return { allowed, limit: w.limit, remaining: Math.max(0, w.limit - this.counted(w)), resetAt };
  }

  /** Writes the key's open batches one after the other until none is left (one loop per key at a time). */
  private writeLoop(w: KeyWindow): Promise<void> {
    if (w.writing) return w.writing;
    w.writing = (async () => {
      try {
        while (w.open.points > 0) {
          const batch = w.open;
          w.open = newBatch();
          w.inFlight = batch.points;
          try {
            const res = await this.shared.add(w.bucket, w.subject, w.limit, w.windowMs, batch.points, Date.now());
            w.shared = res.total;
            w.endsAtMs = res.windowEndsAtMs;
            batch.settle?.resolve(res.total);
          } catch (error) {
            // The store failed: the waiting requests fail with it; the count is kept for the next write.
            w.open.points += batch.points;
            batch.settle?.reject(error);
            if (!batch.settle) this.options.onError?.(error);
            return;
          } finally {
            w.inFlight = 0;
          }
        }
      } finally {
        w.writing = null;
      }
    })();
    return w.writing;
  }

  /** Writes every key counted since the last flush (the timer's work; also before closing); forgets ended windows. */
  async flushAll(): Promise<void> {
    const now = Date.now();
    const pending: Promise<void>[] = [];
    for (const [key, w] of this.windows) {
      if (w.open.points > 0) pending.push(this.writeLoop(w));
      else if (w.endsAtMs <= now && this.idle(w)) this.windows.delete(key);
    }
    await Promise.all(pending);
  }

  /** Stops the timer after a last flush. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flushAll();
  }
}
