import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { upcast } from '../domain/events';
import type { EventStore, Position, RecordedEvent, Subscription } from '../store/eventStore';
import { comparePositions, countEventsBehind, positionFromString, positionToString, START } from '../store/eventStore';
import type { ReadStore, ReadStoreTransaction } from '../store/readStore';
import { FencedOutError, projectionProgress, recordBatch, recordPosition } from './progress';
import type { Projection } from './projection';

export type ProjectionStatus = Readonly<{ name: string; position: string | null; lag: number; state: 'running' | 'stopped' | 'catching_up' }>;

/** Lets a command wait until the read models include its own events (invariant 5). */
export interface ProjectionProgress {
  /** Resolves true once every projection passed `position`, false after the timeout. */
  waitFor(position: Position, timeoutMs?: number): Promise<boolean>;
}

type Waiter = { position: Position; resolve: (ok: boolean) => void; timer: NodeJS.Timeout };
/** `events`: how many events of `$all` the batch carried (for a rebuild's rate). */
export type ProgressListener = (position: Position, touched: ReadonlySet<string>, events: number) => void;
/** Sees each batch of `$all` the runner read, as read (the audit anchors' writer: store/chain/anchorWriter.ts). */
export type BatchListener = (batch: readonly RecordedEvent[]) => void;

/** Commands waiting until the projections passed their events' position (invariant 5). */
export class PositionWaiters implements ProjectionProgress {
  private processed: Position = START;
  private waiters: Waiter[] = [];

  /** Everything up to here is projected. */
  get position(): Position {
    return this.processed;
  }

  /** The projections have processed everything up to `position`. */
  advance(position: Position): void {
    if (comparePositions(position, this.processed) <= 0) return;
    this.processed = position;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (comparePositions(w.position, position) <= 0) {
        clearTimeout(w.timer);
        w.resolve(true);
      } else still.push(w);
    }
    this.waiters = still;
  }

  waitFor(position: Position, timeoutMs = 5_000): Promise<boolean> {
    if (comparePositions(position, this.processed) <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        position,
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(false);
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Everyone still waiting is told no. */
  close(): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.resolve(false);
    }
    this.waiters = [];
  }
}

/** Lag in events (EventStoreDB's positions are byte offsets: their difference is no count). */
const statusOf = async (events: EventStore, name: string, position: Position, head: Position, running: boolean): Promise<ProjectionStatus> => {
  const lag = await countEventsBehind(events, position, head);
  return {
    name,
    position: comparePositions(position, START) === 0 ? null : positionToString(position),
    lag,
    state: !running ? 'stopped' : lag > 0 ? 'catching_up' : 'running',
  };
};

/** Each projection's position and lag behind `$all`'s head, from the checkpoints in the read store. */
export const projectionStatusFromCheckpoints = async (
  events: EventStore,
  reads: ReadStore,
  projections: readonly Projection[],
  running: boolean,
): Promise<ProjectionStatus[]> => {
  const head = await events.headPosition();
  return Promise.all(
    projections.map(async (p) => {
      const stored = await reads.getCheckpoint(p.name);
      return statusOf(events, p.name, stored === null ? START : positionFromString(stored), head, running);
    }),
  );
};

/**
 * Runs the projections from one catch-up subscription to `$all`. Each projection keeps its own checkpoint and
 * skips events at or before it (idempotent by position); a batch's writes and checkpoints commit in one transaction.
 */
export class ProjectionRunner implements ProjectionProgress {
  private readonly checkpoints = new Map<string, Position>();
  private subscription: Subscription | null = null;
  /** Where every projection stands: what commands wait on, and where a dropped subscription resumes. */
  private readonly waiters = new PositionWaiters();
  private readonly progressListeners = new Set<ProgressListener>();
  private readonly batchListeners = new Set<BatchListener>();
  private running = false;
  /**
   * The batch being applied, if any. A subscription's stop() does not wait for a batch in its handler (it cannot
   * tell a stop called from that handler), so stop() waits here: once it returns, no batch of this runner commits.
   */
  private applying: Promise<void> = Promise.resolve();
  private retryDelayMs = 100;
  private readonly fencedListeners = new Set<(error: FencedOutError) => void>();

  /**
   * `owner`: the lease holder this runner writes for (see leadership.ts); each batch commits only while the
   * progress document still names it. Null for a runner that is the only one by construction (tests, rebuilds).
   */
  constructor(
    private readonly events: EventStore,
    private readonly reads: ReadStore,
    readonly projections: readonly Projection[],
    private readonly log: (line: string) => void = () => {},
    private readonly owner: string | null = null,
  ) {}

  async start(): Promise<void> {
    this.running = true;
    this.checkpoints.clear();
    let from: Position | null = null;
    for (const p of this.projections) {
      const stored = await this.reads.getCheckpoint(p.name);
      const position = stored === null ? START : positionFromString(stored);
      this.checkpoints.set(p.name, position);
      if (from === null || comparePositions(position, from) < 0) from = position;
    }
    // Commands that wait for what the checkpoints already cover go on at once: no batch may come.
    await recordPosition(this.reads, this.owner, from ?? START);
    this.waiters.advance(from ?? START);
    this.subscribe();
  }

  /** Called when a batch was refused because another runner took the lease over; this runner has stopped. */
  onFenced(listener: (error: FencedOutError) => void): () => void {
    this.fencedListeners.add(listener);
    return () => void this.fencedListeners.delete(listener);
  }

  private subscribe(): void {
    const processed = this.waiters.position;
    const fromPosition = comparePositions(processed, START) === 0 ? undefined : processed;
    this.subscription = this.events.subscribeToAll(
      { fromPosition },
      {
        onEvents: (batch) => {
          const applying = this.applyBatch(batch);
          this.applying = applying.catch(() => {});
          return applying;
        },
        // Past events no batch carries (system events, or whatever a filter drops): nobody waits for them.
        onCheckpoint: (position) => this.waiters.advance(position),
        onDropped: (error) => {
          if (!this.running) return;
          if (error instanceof FencedOutError) {
            this.log(`projections: ${error.message}; standing by`);
            void this.stop().then(() => {
              for (const listener of this.fencedListeners) listener(error);
            });
            return;
          }
          // The client does not resubscribe: we do, from the last checkpoint, with backoff.
          this.log(`projections: subscription dropped (${error.message}); resubscribing in ${this.retryDelayMs} ms`);
          setTimeout(() => this.running && this.subscribe(), this.retryDelayMs).unref();
          this.retryDelayMs = Math.min(this.retryDelayMs * 2, 5_000);
        },
      },
    );
  }

  private async applyBatch(batch: readonly RecordedEvent[]): Promise<void> {
    const last = batch[batch.length - 1];
    if (!last) return;
    // The collections this batch may have changed, for those who keep answers in memory (ReadCache).
    const touched = new Set<string>();
    await this.reads.transaction(async (inner) => {
      // Each method delegated by name: a spread would copy own properties only, and drop an adapter's prototype
      // methods (MongoTransaction's setCheckpoint/getCheckpoint).
      const tx: ReadStoreTransaction = {
        collection: (def) => {
          touched.add(def.name);
          return inner.collection(def);
        },
        setCheckpoint: (projection, position) => inner.setCheckpoint(projection, position),
        getCheckpoint: (projection) => inner.getCheckpoint(projection),
      };
      for (const recorded of batch) {
        const event = upcast(recorded.type, recorded.data, recorded.metadata);
        if (!event) continue;
        for (const p of this.projections) {
          if (!p.handles.has(event.type)) continue;
          if (comparePositions(recorded.position, this.checkpoints.get(p.name) ?? START) <= 0) continue;
          await p.apply(event, tx, recorded);
        }
      }
      for (const p of this.projections) await p.endBatch?.(tx);
      for (const p of this.projections) {
        if (comparePositions(last.position, this.checkpoints.get(p.name) ?? START) > 0) {
          await tx.setCheckpoint(p.name, positionToString(last.position));
        }
      }
      // The one document every process watches, and the lease's fence: refused if another runner took over.
      await recordBatch(inner, this.owner, last.position, touched);
    });
    for (const p of this.projections) {
      if (comparePositions(last.position, this.checkpoints.get(p.name) ?? START) > 0) this.checkpoints.set(p.name, last.position);
    }
    this.retryDelayMs = 100;
    for (const listener of this.batchListeners) {
      try {
        listener(batch);
      } catch (error) {
        this.log(`projections: a batch listener failed (${error instanceof Error ? error.message : String(error)})`);
      }
    }
    // Listeners first: a cache is cleared before the commands waiting for this batch go on.
    for (const listener of this.progressListeners) listener(last.position, touched, batch.length);
    this.waiters.advance(last.position);
    // A catch-up over many batches would otherwise never let timers and sockets run (better-sqlite3 is synchronous).
    await yieldToEventLoop();
  }

  waitFor(position: Position, timeoutMs = 5_000): Promise<boolean> {
    return this.waiters.waitFor(position, timeoutMs);
  }

  /** Everything up to here is in every read model. */
  get position(): Position {
    return this.waiters.position;
  }

  /** Calls `listener` with the position every batch reached and the collections it touched, once committed. */
  onProgress(listener: ProgressListener): () => void {
    this.progressListeners.add(listener);
    return () => void this.progressListeners.delete(listener);
  }

  /**
   * Calls `listener` with every batch this runner commits, in log order, the events as read (a batch the
   * subscription delivers again after a drop comes again).
   */
  onBatch(listener: BatchListener): () => void {
    this.batchListeners.add(listener);
    return () => void this.batchListeners.delete(listener);
  }

  async status(): Promise<ProjectionStatus[]> {
    const head = await this.events.headPosition();
    return Promise.all(this.projections.map((p) => statusOf(this.events, p.name, this.checkpoints.get(p.name) ?? START, head, this.running)));
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.subscription?.stop();
    this.subscription = null;
    await this.applying;
    this.waiters.close();
  }
}

/** Drops the projections' read models and checkpoints: the next start replays `$all` from the beginning. */
export const resetProjections = async (reads: ReadStore, projections: readonly Projection[]): Promise<void> => {
  for (const p of projections) {
    for (const c of p.collections) await reads.dropCollection(c.name);
    await reads.deleteCheckpoint(p.name);
  }
  await reads.dropCollection(projectionProgress.name);
};
