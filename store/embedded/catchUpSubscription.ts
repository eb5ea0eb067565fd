import type { AllFilter, CatchUpHandler, RecordedEvent, Subscription } from '../eventStore';
import type { EventReader } from './schema';
import { rowMatches, rowToEvent, toPosition } from './schema';

/** What a catch-up subscription needs from the store: page reads and a signal after each commit. */
export interface CommitSource {
  readonly reader: EventReader;
  /** Registers a listener called synchronously after every commit that wrote events; returns the unsubscribe. */
  onCommit(listener: () => void): () => void;
}

export type CatchUpLimits = Readonly<{ pageSize: number; batchSize: number; maxPagesPerTurn: number }>;

const toError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

/**
 * Catch-up subscription to `$all`: reads pages after its cursor and hands them to the handler one batch at a
 * time; when it has read everything, it waits for the store's next commit. All reads are synchronous, and the
 * "something was committed" flag is cleared before each read, so no commit can slip between the last read and
 * the wait: no event is missed or delivered twice.
 */
export class CatchUpSubscription implements Subscription {
  private stopped = false;
  private inHandler = false;
  private committed = false;
  private wake: (() => void) | null = null;
  private readonly unlisten: () => void;
  private readonly done: Promise<void>;

  constructor(
    private readonly source: CommitSource,
    private cursor: number,
    private readonly filter: AllFilter | undefined,
    private readonly handler: CatchUpHandler,
    private readonly limits: CatchUpLimits,
    private readonly onEnd: (s: CatchUpSubscription) => void,
  ) {
    this.unlisten = source.onCommit(() => {
      this.committed = true;
      this.signal();
    });
    this.done = this.run().finally(() => {
      this.unlisten();
      this.onEnd(this);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.signal();
    // The handler may itself call stop(): waiting for the loop would then deadlock. Once `stopped` is set the
    // loop makes no further handler call, which is what stop() promises.
    if (!this.inHandler) await this.done;
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private async run(): Promise<void> {
    // Never call the handler before subscribeToAll has returned.
    await Promise.resolve();
    while (!this.stopped) {
      let batch: RecordedEvent[];
      let caughtUp: boolean;
      let passedDropped: boolean;
      try {
        this.committed = false;
        ({ batch, caughtUp, passedDropped } = this.readBatch());
      } catch (e) {
        this.drop(e);
        return;
      }
      if (batch.length > 0) {
        this.inHandler = true;
        try {
          await this.handler.onEvents(batch);
        } catch (e) {
          this.drop(e);
          return;
        } finally {
          this.inHandler = false;
        }
      }
      // The read went past events the filter dropped: say how far, as EventStoreDB's checkpointReached does, so
      // that nobody waits for a position no batch will reach.
      if (passedDropped && !this.stopped && this.handler.onCheckpoint) {
        this.inHandler = true;
        try {
          await this.handler.onCheckpoint(toPosition(this.cursor));
        } catch (e) {
          this.drop(e);
          return;
        } finally {
          this.inHandler = false;
        }
      }
      if (batch.length > 0) continue;
      if (caughtUp) {
        if (!this.committed && !this.stopped) await new Promise<void>((resolve) => (this.wake = resolve));
      } else {
        // A long scan that matched nothing yet: let other work run before the next pages.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }

  /** `passedDropped`: the cursor ended past an event the filter dropped (after the batch's last event). */
  private readBatch(): { batch: RecordedEvent[]; caughtUp: boolean; passedDropped: boolean } {
    const { pageSize, batchSize, maxPagesPerTurn } = this.limits;
    const batch: RecordedEvent[] = [];
    let passedDropped = false;
    const result = (caughtUp: boolean) => ({ batch, caughtUp, passedDropped });
    for (let page = 0; page < maxPagesPerTurn; page++) {
      const rows = this.source.reader.readAfter(this.cursor, pageSize);
      for (const row of rows) {
        if (batch.length >= batchSize) return result(false);
        this.cursor = row.position;
        if (rowMatches(this.filter, row)) {
          batch.push(rowToEvent(row));
          passedDropped = false;
        } else passedDropped = true;
      }
      if (rows.length < pageSize) return result(true);
      if (batch.length >= batchSize) return result(false);
    }
    return result(false);
  }

  private drop(e: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    const error = toError(e);
    if (this.handler.onDropped) this.handler.onDropped(error);
    else process.emitWarning(`Catch-up subscription dropped without an onDropped handler: ${error.message}`);
  }
}
