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
export class FlexibleRateLimiter implements RateLimiter {
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  constructor(private readonly make: FlexibleLimiterFactory) {}

  async take(bucket: string, subject: string, limit: number, windowMs: number, nowMs: number): Promise<RateLimitDecision> {
    const id = `${bucket}:${limit}:${windowMs}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter = this.make({ keyPrefix: `${bucket}_${limit}_${windowMs}`, points: limit, durationSeconds: Math.max(1, Math.ceil(windowMs / 1000)) });
      this.limiters.set(id, limiter);
    }
    // When the window ends, in whole seconds, never past a whole window from now.
    const resetAt = (msBeforeNext: number): number => Math.min(Math.ceil((nowMs + msBeforeNext) / 1000), Math.floor((nowMs + windowMs) / 1000));
    try {
      const res = await limiter.consume(subject);
      return { allowed: true, limit, remaining: res.remainingPoints, resetAt: resetAt(res.msBeforeNext) };
    } catch (rejection) {
      // The library rejects with its RateLimiterRes when the limit is reached, with an Error when the store fails.
      if (rejection instanceof RateLimiterRes) {
        return { allowed: false, limit, remaining: 0, resetAt: resetAt(rejection.msBeforeNext) };
      }
      throw rejection;
    }
  }
}
