import { upcast } from '../domain/events';
import { categories } from '../domain/streams';
import type { InboundDueDoc } from '../projections/readModels';
import type { EventStore, Position, RecordedEvent, Subscription } from '../store/eventStore';

export type InboundFeedHandlers = Readonly<{
  /** Inbound events just received (their ids): to be routed. The feed reads on once this resolves (backpressure). */
  received: (inboundEventIds: string[]) => Promise<void>;
  /** Deliveries just created (by a routing, a replay or a replay with edits): their first attempt is due now. */
  created: (due: InboundDueDoc[]) => Promise<void>;
}>;

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const RESUBSCRIBE_MS = 1_000;

/**
 * The inbound work this dispatcher hears of as it is appended: a catch-up subscription to `$all` from the head,
 * filtered to the `inbound-` and `inbound_delivery-` streams, woken by each commit (the embedded store's commit
 * signal, EventStoreDB's live subscription), as the outbound first attempts are by the persistent subscription. It
 * only makes the work start at once: the work lists (`inbound_unrouted`, `inbound_due`) stay the record of what is
 * left, polled by the deliverer, so whatever the feed misses (it starts at the head; it drops; another dispatcher
 * died holding the work) is still done. Every dispatcher hears everything: routing derives its delivery ids and the
 * deliveries are claimed with leases, so two that act on one event route it once and deliver each delivery once.
 */
export class InboundFeed {
  private sub: Subscription | null = null;
  private stopped = true;
  private last: Position | null = null;
  private retry: NodeJS.Timeout | null = null;
  private current: Promise<void> = Promise.resolve();

  constructor(
    private readonly events: EventStore,
    private readonly handlers: InboundFeedHandlers,
    private readonly log: (line: string) => void,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.follow();
  }

  /** Subscribes from the head; if the head cannot be read now, tries again later (the polls do the work meanwhile). */
  private async follow(): Promise<void> {
    try {
      this.last = await this.events.headPosition();
    } catch (error) {
      this.log(`dispatcher: inbound feed cannot read the log's head (${message(error)}); trying again in ${RESUBSCRIBE_MS} ms`);
      this.later(() => void this.follow());
      return;
    }
    this.subscribe();
  }

  private later(then: () => void): void {
    if (this.stopped) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      then();
    }, RESUBSCRIBE_MS);
    this.retry.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const sub = this.sub;
    this.sub = null;
    await sub?.stop();
    await this.current.catch(() => {});
  }

  private subscribe(): void {
    if (this.stopped) return;
    try {
      this.sub = this.subscribeFrom();
    } catch (error) {
      this.log(`dispatcher: inbound feed cannot subscribe (${message(error)}); trying again in ${RESUBSCRIBE_MS} ms`);
      this.later(() => this.subscribe());
    }
  }

  private subscribeFrom(): Subscription {
    return this.events.subscribeToAll(
      { ...(this.last ? { fromPosition: this.last } : {}), filter: { streamNamePrefixes: [categories.inbound, categories.inboundDelivery] } },
      {
        onEvents: (batch) => {
          this.current = this.handle(batch);
          return this.current;
        },
        onDropped: (error) => {
          // The work lists cover what is appended meanwhile; the feed resumes where it was.
          this.log(`dispatcher: inbound feed dropped (${message(error)}); resubscribing in ${RESUBSCRIBE_MS} ms`);
          this.sub = null;
          this.later(() => this.subscribe());
        },
      },
    );
  }

  private async handle(batch: readonly RecordedEvent[]): Promise<void> {
    const received: string[] = [];
    const created: InboundDueDoc[] = [];
    for (const recorded of batch) {
      const event = upcast(recorded.type, recorded.data, recorded.metadata);
      if (event?.type === 'InboundEventReceived') {
        received.push(event.data.inboundEventId);
      } else if (event?.type === 'InboundDeliveryCreated') {
        const destinationId = event.data.destinationIds[0];
        if (destinationId !== undefined) created.push({ id: event.data.deliveryId, destinationId, attemptNumber: 1, dueAt: event.data.createdAt });
      }
    }
    const lastEvent = batch[batch.length - 1];
    try {
      // A handler's failure is logged, not fatal: the work lists still hold what it did not do.
      if (created.length > 0) await this.handlers.created(created);
      if (received.length > 0) await this.handlers.received(received);
    } catch (error) {
      this.log(`dispatcher: inbound feed handler failed: ${message(error)}`);
    } finally {
      if (lastEvent) this.last = lastEvent.position;
    }
  }
}
