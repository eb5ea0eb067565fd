import { categories } from '../domain/streams';
import type { EventStore, PersistentEvent, PersistentSubscription, Position, RecordedEvent } from '../store/eventStore';
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
 * Whether an event of the group is certainly new to every dispatcher, so that its deliveries' streams need not be
 * read before their first attempt. `retryCount === 0` alone proves nothing (see PersistentEvent): a server
 * restarts it at 0 after a restart from its checkpoint, and EventStoreDB may for a replayed parked event. So an
 * event counts as new only when it was also appended after this consumer started (an earlier run cannot have
 * seen it) and comes after everything this consumer was handed so far: the group hands out new events in `$all`
 * order, while a replay or a redelivery comes from behind what it has already handed out (and a replay is parked
 * only after several deliveries, which round robin spreads over the consumers).
 */
export class FirstDeliveries {
  /** The highest position handed to this consumer, since it started. */
  private frontier: bigint;

  constructor(readonly startedAt: Position) {
    this.frontier = startedAt.commit;
  }

  /** Call once per event handed over, in the order they come. */
  isFirst(pe: PersistentEvent): boolean {
    const position = pe.event.position.commit;
    const first = pe.retryCount === 0 && position > this.frontier;
    if (position > this.frontier) this.frontier = position;
    return first;
  }
}

/**
 * Consumes the `dispatcher` group: every event is handled concurrently (up to the buffer size), acked when its
 * handler says so, nacked for retry when it throws. Resubscribes with backoff when the subscription drops.
 */
export class SubscriptionConsumer {
  private subscription: PersistentSubscription | null = null;
  private firstDeliveries: FirstDeliveries | null = null;
  private running = false;
  /** Set by `drain`: events still arriving are left for redelivery. */
  private draining = false;
  private loop: Promise<void> | null = null;
  readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly events: EventStore,
    /** `first`: no dispatcher can have attempted this event's deliveries yet (see FirstDeliveries). */
    private readonly handle: (event: RecordedEvent, retryCount: number, first: boolean) => Promise<Settlement>,
    private readonly bufferSize: number,
    private readonly log: (line: string) => void,
  ) {}

  /** Where `$all` stands now is where this consumer starts: what comes later no earlier run has seen. */
  async start(): Promise<void> {
    this.firstDeliveries = new FirstDeliveries(await this.events.headPosition());
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
          const first = this.firstDeliveries?.isFirst(pe) ?? false;
          const task = this.settle(sub, pe, first);
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

  private async settle(sub: PersistentSubscription, pe: PersistentEvent, first: boolean): Promise<void> {
    try {
      if ((await this.handle(pe.event, pe.retryCount, first)) === 'ack') await sub.ack(pe);
    } catch (error) {
      this.log(`dispatcher: ${pe.event.type} at ${pe.event.streamId} failed (retry ${pe.retryCount}): ${message(error)}`);
      await sub.nack('retry', message(error), pe).catch(() => {});
    }
  }

  /** Stops taking new events; those in flight go on (see `stop`). */
  drain(): void {
    this.draining = true;
  }

  /** Ends the subscription: whatever is unsettled is redelivered, to another consumer or after a restart. */
  async stop(): Promise<void> {
    this.running = false;
    this.draining = true;
    await this.subscription?.stop();
    this.subscription = null;
    await this.loop;
  }
}
