import { categories } from '../domain/streams';
import type { EventStore, PersistentEvent, PersistentSubscription, RecordedEvent } from '../store/eventStore';
import { ensurePersistentSubscriptionToAll } from '../store/ensurePersistentSubscription';

export const DISPATCHER_GROUP = 'dispatcher';

/** What became of one subscription event: acked, or left unsettled to be redelivered (the dispatcher stopped). */
export type Settlement = 'ack' | 'leave';

/** Creates the `dispatcher` group on `$all` (message streams only), from the start, or updates its settings. */
export const ensureDispatcherGroup = async (events: EventStore, messageTimeoutMs: number): Promise<void> => {
  await ensurePersistentSubscriptionToAll(events, DISPATCHER_GROUP, {
    startFrom: 'start',
    messageTimeoutMs,
    filter: { streamNamePrefixes: [categories.message] },
  });
};

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Consumes the `dispatcher` group: every event is handled concurrently (up to the buffer size), acked when its
 * handler says so, nacked for retry when it throws. Resubscribes with backoff when the subscription drops.
 */
export class SubscriptionConsumer {
  private subscription: PersistentSubscription | null = null;
  private running = false;
  /** Set by `drain`: events still arriving are left for redelivery. */
  private draining = false;
  private loop: Promise<void> | null = null;
  /**
   * Acks settled while this tick's callbacks run, sent together once they are done (one message to EventStoreDB).
   * Not deferred to the next turn: the embedded group already writes a turn's acks in one transaction, and a later
   * ack holds a subscription slot longer (dispatcher/isolation.test.ts's burst measured it).
   */
  private acks: { sub: PersistentSubscription; events: PersistentEvent[]; sent: Promise<void> } | null = null;
  readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly events: EventStore,
    /**
     * Whether a delivery was attempted before is for the handler to learn from the delivery's own stream: nothing
     * the group says proves an event new. EventStoreDB hands a replayed parked event out with retry count 0 and
     * the parked link's position, after everything seen (KurrentDB `OutstandingMessage.ForParkedEvent`,
     * `PersistentSubscriptions.Read.cs` `ConvertToReadEvent`), and re-reads what follows its checkpoint after a
     * restart or a group update with retry count 0 again (`OutstandingMessage.ForNewEvent`).
     */
    private readonly handle: (event: RecordedEvent, retryCount: number) => Promise<Settlement>,
    private readonly bufferSize: number,
    private readonly log: (line: string) => void,
  ) {}

  async start(): Promise<void> {
    this.running = true;
    this.loop = this.consume();
  }

  private async consume(): Promise<void> {
    let backoffMs = 100;
    while (this.running) {
      try {
        const sub = this.events.subscribeToPersistentSubscriptionToAll(DISPATCHER_GROUP, { bufferSize: this.bufferSize });
        this.subscription = sub;
        for await (const pe of sub) {
          if (this.draining) continue;
          backoffMs = 100;
          const task = this.settle(sub, pe);
          this.inFlight.add(task);
          void task.finally(() => this.inFlight.delete(task));
        }
      } catch (error) {
        if (!this.running) break;
        this.log(`dispatcher: subscription dropped (${message(error)}); resubscribing in ${backoffMs} ms`);
      }
      if (!this.running) break;
      await new Promise((r) => setTimeout(r, backoffMs).unref());
      backoffMs = Math.min(backoffMs * 2, 5_000);
    }
  }

  private async settle(sub: PersistentSubscription, pe: PersistentEvent): Promise<void> {
    try {
      // Acked only once the handler returned: the delivery's outcome is appended by then (invariant 2).
      if ((await this.handle(pe.event, pe.retryCount)) === 'ack') await this.ack(sub, pe);
    } catch (error) {
      this.log(`dispatcher: ${pe.event.type} at ${pe.event.streamId} failed (retry ${pe.retryCount}): ${message(error)}`);
      await sub.nack('retry', message(error), pe).catch(() => {});
    }
  }

  /** Resolves when the ack that carries `pe` was sent; a failed send fails every event it carried. */
  private ack(sub: PersistentSubscription, pe: PersistentEvent): Promise<void> {
    let batch = this.acks;
    if (batch === null || batch.sub !== sub) {
      const events: PersistentEvent[] = [];
      const turn = new Promise<void>((resolve) => process.nextTick(resolve));
      const created = {
        sub,
        events,
        sent: turn.then(() => {
          if (this.acks === created) this.acks = null;
          return sub.ack(...events);
        }),
      };
      this.acks = batch = created;
    }
    batch.events.push(pe);
    return batch.sent;
  }

  /** Stops taking new events; those in flight go on (see `stop`). */
  drain(): void {
    this.draining = true;
  }

  /** Ends the subscription: whatever is unsettled is redelivered, to another consumer or after a restart. */
  async stop(): Promise<void> {
    this.running = false;
    this.draining = true;
    // What was settled is acked before the subscription closes: redelivering it would cost a duplicate attempt.
    await this.acks?.sent.catch(() => {});
    await this.subscription?.stop();
    this.subscription = null;
    await this.loop;
  }
}
