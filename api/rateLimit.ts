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
