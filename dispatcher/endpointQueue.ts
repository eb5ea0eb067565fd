/**
 * One queue per endpoint (invariant 3): its own concurrency limit and its own rate limit, so a slow or hanging
 * endpoint only ever holds its own slots. Nothing here awaits across endpoints.
 */

type Job = () => void;

/**
 * A token bucket refilled at `perSecond`, holding at most a tenth of a second's worth (at least one token):
 * bursts stay small, so no one-second window sees much more than the configured rate.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = this.capacity;
    this.last = now();
  }

  get capacity(): number {
    return Math.max(1, Math.floor(this.perSecond / 10));
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) * this.perSecond) / 1000);
    this.last = t;
  }

  /** Full again: forgetting this bucket would not allow more than it would. */
  get rested(): boolean {
    this.refill();
    return this.tokens >= this.capacity;
  }

  /** Takes a token and returns 0, or returns the milliseconds until one is available. */
  take(): number {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.perSecond);
  }
}

export class EndpointQueue {
  private readonly waiting: Job[] = [];
  private running = 0;
  private bucket: TokenBucket | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly concurrency: number) {}

  /** Follows the endpoint's `rateLimitPerSecond` (null = unlimited); a changed limit starts a fresh bucket. */
  setRateLimit(perSecond: number | null): void {
    if (perSecond === null) this.bucket = null;
    else if (this.bucket?.perSecond !== perSecond) this.bucket = new TokenBucket(perSecond);
  }

  get inFlight(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Slots free right now (ignoring the rate limit). */
  get free(): number {
    return Math.max(0, this.concurrency - this.running - this.waiting.length);
  }

  get idle(): boolean {
    return this.running === 0 && this.waiting.length === 0 && this.timer === null && (this.bucket?.rested ?? true);
  }

  /** Runs `work` when a slot and a rate-limit token are free; resolves or rejects with it. */
  run<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(() => {
        this.running++;
        work()
          .then(resolve, reject)
          .finally(() => {
            this.running--;
            this.pump();
          });
      });
      this.pump();
    });
  }

  private pump(): void {
    if (this.timer) return;
    while (this.waiting.length > 0 && this.running < this.concurrency) {
      const wait = this.bucket?.take() ?? 0;
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.pump();
        }, wait);
        return;
      }
      this.waiting.shift()!();
    }
  }

  /** Drops the pending timer (jobs not started stay unstarted). */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** The queues by endpoint id, created on first use and forgotten when idle. */
export class EndpointQueues {
  private readonly queues = new Map<string, EndpointQueue>();

  constructor(private readonly concurrency: number) {}

  get(endpointId: string): EndpointQueue {
    let q = this.queues.get(endpointId);
    if (!q) {
      q = new EndpointQueue(this.concurrency);
      this.queues.set(endpointId, q);
    }
    return q;
  }

  peek(endpointId: string): EndpointQueue | undefined {
    return this.queues.get(endpointId);
  }

  /** Forgets idle queues (their rate-limit state restarts full, which only ever allows a small burst). */
  sweep(): void {
    for (const [id, q] of this.queues) if (q.idle) this.queues.delete(id);
  }

  dispose(): void {
    for (const q of this.queues.values()) q.dispose();
    this.queues.clear();
  }
}
