/**
 * One queue per endpoint (invariant 3): its own concurrency limit and its own rate limit, so a slow or hanging
 * endpoint only ever holds its own slots. Nothing here awaits across endpoints.
 *
 * A queue also counts the first attempts it holds for the persistent subscription ("fresh" jobs: each keeps a
 * subscription event unacknowledged while it waits or runs), and whether it keeps up with its work, so that the
 * pipeline can keep a slow endpoint from filling the subscription's shared buffer (see DeliveryPipeline).
 */

type Job = {
  readonly start: () => void;
  readonly fresh: boolean;
  readonly enqueuedAt: number;
  /** Settles the job's promise without running it (see `shed`); null when the job may not be shed. */
  readonly shed: (() => void) | null;
};

export type RunOptions<T> = Readonly<{
  /** A first attempt from the persistent subscription: it holds a subscription event while it waits or runs. */
  fresh?: boolean;
  /** What a job that has not started becomes when it is shed from the queue (fresh jobs only). */
  onShed?: () => Promise<T>;
}>;

/**
 * Attempts in flight at once for an endpoint that has not answered lately (new, or hanging): a burst to an endpoint
 * that never answers opens a few connections, not `concurrency`. The first answer lifts the limit.
 */
export const UNPROVEN_CONCURRENCY = 4;
/** An endpoint that answered within this runs its full concurrency. */
const ANSWERED_WITHIN_MS = 60_000;

/** What the queues of one dispatcher hold together. */
export type SharedCounts = { held: number };

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
  private runningFresh = 0;
  private waitingFresh = 0;
  private bucket: TokenBucket | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** When a job last finished, and how long it ran (performance.now() ms). */
  private lastDoneAt: number | null = null;
  private lastDurationMs = 0;
  /** When the endpoint last answered a request (any HTTP status). */
  private lastAnsweredAt: number | null = null;
  /** Set by the due poller when it left due deliveries of this endpoint for want of room: see `onRoom`. */
  wanted = false;

  constructor(
    private readonly concurrency: number,
    private readonly shared: SharedCounts = { held: 0 },
    /** Called once `wanted` is set and the waiting jobs have dropped to half the limit. */
    private readonly onRoom: () => void = () => {},
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Follows the endpoint's `rateLimitPerSecond` (null = unlimited); a changed limit starts a fresh bucket. */
  setRateLimit(perSecond: number | null): void {
    if (perSecond === null) this.bucket = null;
    else if (this.bucket?.perSecond !== perSecond) this.bucket = new TokenBucket(perSecond);
  }

  /** The endpoint answered a request (any HTTP status): it runs its full concurrency. */
  answered(): void {
    this.lastAnsweredAt = this.now();
    this.pump();
  }

  /** Jobs that may run at once now: the concurrency, or fewer while the endpoint has not answered lately. */
  get limit(): number {
    const proven = this.lastAnsweredAt !== null && this.now() - this.lastAnsweredAt <= ANSWERED_WITHIN_MS;
    return proven ? this.concurrency : Math.min(this.concurrency, UNPROVEN_CONCURRENCY);
  }

  get inFlight(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Fresh jobs waiting (not started). */
  get queuedFresh(): number {
    return this.waitingFresh;
  }

  /** Fresh jobs waiting or running: subscription events this endpoint holds. */
  get held(): number {
    return this.runningFresh + this.waitingFresh;
  }

  /** Slots free right now (ignoring the rate limit). */
  get free(): number {
    return Math.max(0, this.limit - this.running - this.waiting.length);
  }

  /** Jobs that may still be added before this queue holds its limit plus `backlog` waiting. */
  room(backlog: number): number {
    return Math.max(0, this.limit + backlog - this.running - this.waiting.length);
  }

  /** How long the oldest waiting job has waited. */
  oldestWaitMs(now = this.now()): number {
    const head = this.waiting[0];
    return head ? now - head.enqueuedAt : 0;
  }

  /**
   * Whether the endpoint demonstrably keeps up: a job finished within `limitMs`, it took less than `limitMs`, and
   * nothing has waited longer than `limitMs`. An endpoint that never answered does not keep up.
   */
  keepingUp(limitMs: number, now = this.now()): boolean {
    return this.lastDoneAt !== null && now - this.lastDoneAt <= limitMs && this.lastDurationMs <= limitMs && this.oldestWaitMs(now) <= limitMs;
  }

  get idle(): boolean {
    return this.running === 0 && this.waiting.length === 0 && this.timer === null && (this.bucket?.rested ?? true);
  }

  /** Idle, and what it knows of the endpoint (it answered, it keeps up) is too old to matter. */
  get forgettable(): boolean {
    const last = Math.max(this.lastDoneAt ?? Number.NEGATIVE_INFINITY, this.lastAnsweredAt ?? Number.NEGATIVE_INFINITY);
    return this.idle && this.now() - last > ANSWERED_WITHIN_MS;
  }

  private finish(fresh: boolean, started: number): void {
    this.running--;
    if (fresh) {
      this.runningFresh--;
      this.shared.held--;
    }
    this.lastDoneAt = this.now();
    this.lastDurationMs = this.lastDoneAt - started;
    this.pump();
    if (this.wanted && this.waiting.length <= this.limit / 2) {
      this.wanted = false;
      this.onRoom();
    }
  }

  /** Runs `work` when a slot and a rate-limit token are free; resolves or rejects with it (or with `onShed`). */
  run<T>(work: () => Promise<T>, options: RunOptions<T> = {}): Promise<T> {
    const fresh = options.fresh ?? false;
    const onShed = options.onShed;
    return new Promise<T>((resolve, reject) => {
      const job: Job = {
        fresh,
        enqueuedAt: this.now(),
        start: () => {
          this.running++;
          if (fresh) this.runningFresh++;
          const started = this.now();
          let result: Promise<T>;
          try {
            result = work();
          } catch (error) {
            result = Promise.reject(error);
          }
          // The queue's counts are settled before the job's promise is.
          result.then(
            (value) => {
              this.finish(fresh, started);
              resolve(value);
            },
            (error: unknown) => {
              this.finish(fresh, started);
              reject(error);
            },
          );
        },
        shed: onShed ? () => void onShed().then(resolve, reject) : null,
      };
      this.waiting.push(job);
      if (fresh) {
        this.waitingFresh++;
        this.shared.held++;
      }
      this.pump();
    });
  }

  /** Takes up to `count` fresh jobs that have not started, newest first, out of the queue and sheds them. */
  shed(count: number): number {
    let shed = 0;
    for (let i = this.waiting.length - 1; i >= 0 && shed < count; i--) {
      const job = this.waiting[i]!;
      if (!job.fresh || !job.shed) continue;
      this.waiting.splice(i, 1);
      this.waitingFresh--;
      this.shared.held--;
      shed++;
      job.shed();
    }
    return shed;
  }

  private pump(): void {
    if (this.timer) return;
    const limit = this.limit;
    while (this.waiting.length > 0 && this.running < limit) {
      const wait = this.bucket?.take() ?? 0;
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.pump();
        }, wait);
        return;
      }
      const job = this.waiting.shift()!;
      if (job.fresh) this.waitingFresh--;
      job.start();
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
  private readonly counts: SharedCounts = { held: 0 };
  /** Called when a queue the due poller wanted to fill has room again. */
  onRoom: () => void = () => {};

  constructor(private readonly concurrency: number) {}

  get(endpointId: string): EndpointQueue {
    let q = this.queues.get(endpointId);
    if (!q) {
      q = new EndpointQueue(this.concurrency, this.counts, () => this.onRoom());
      this.queues.set(endpointId, q);
    }
    return q;
  }

  peek(endpointId: string): EndpointQueue | undefined {
    return this.queues.get(endpointId);
  }

  /** Fresh jobs held by every queue: subscription events held by the endpoints, together. */
  get held(): number {
    return this.counts.held;
  }

  all(): IterableIterator<EndpointQueue> {
    return this.queues.values();
  }

  /** Forgets idle queues (their rate-limit state restarts full, which only ever allows a small burst). */
  sweep(): void {
    for (const [id, q] of this.queues) if (q.forgettable) this.queues.delete(id);
  }

  dispose(): void {
    for (const q of this.queues.values()) q.dispose();
    this.queues.clear();
  }
}
