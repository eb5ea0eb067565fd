import type { NackAction, PersistentEvent, PersistentSubscription, RecordedEvent } from '../eventStore';

/** The group side of a consumer. */
export interface ConsumerOwner {
  settle(from: Consumer, event: PersistentEvent, action: NackAction | 'ack', reason: string): void;
  removeConsumer(consumer: Consumer): void;
}

/** An event of a group, from when it is read until it is settled. */
export type Entry = {
  readonly position: number;
  readonly event: RecordedEvent;
  /** A parked event being replayed: tracked by its parked row, not by the checkpoint. */
  readonly replay: boolean;
  retryCount: number;
  consumer: Consumer | null;
  yielded: boolean;
  deadline: number;
  done: boolean;
};

export type Delivery = { entry: Entry; value: PersistentEvent };

/** One consumer of a group: an async iterable fed by the group, at most `bufferSize` events in flight. */
export class Consumer implements PersistentSubscription {
  readonly queue: Delivery[] = [];
  readonly inflight = new Set<Entry>();
  stopped = false;
  private readonly waiters: Array<(r: IteratorResult<PersistentEvent>) => void> = [];

  constructor(
    private readonly group: ConsumerOwner | null,
    readonly bufferSize: number,
    private readonly error: Error | null,
  ) {}

  async ack(...events: PersistentEvent[]): Promise<void> {
    // The group writes whatever was settled in one turn of the event loop in one transaction (persistentSubscriptions.ts).
    for (const event of events) this.group?.settle(this, event, 'ack', '');
  }

  async nack(action: NackAction, reason: string, event: PersistentEvent): Promise<void> {
    this.group?.settle(this, event, action, reason);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.group?.removeConsumer(this);
    this.queue.length = 0;
    for (const resolve of this.waiters.splice(0)) resolve({ done: true, value: undefined });
  }

  push(delivery: Delivery): void {
    const waiter = this.waiters.shift();
    if (!waiter) {
      this.queue.push(delivery);
      return;
    }
    delivery.entry.yielded = true;
    waiter({ done: false, value: delivery.value });
  }

  /** Takes back an event handed over but not yet yielded (message timeout). */
  unqueue(entry: Entry): void {
    const i = this.queue.findIndex((d) => d.entry === entry);
    if (i >= 0) this.queue.splice(i, 1);
  }

  [Symbol.asyncIterator](): AsyncIterator<PersistentEvent> {
    return {
      next: () => this.next(),
      return: async () => {
        await this.stop();
        return { done: true, value: undefined };
      },
    };
  }

  private next(): Promise<IteratorResult<PersistentEvent>> {
    if (this.error) return Promise.reject(this.error);
    const delivery = this.queue.shift();
    if (delivery) {
      delivery.entry.yielded = true;
      return Promise.resolve({ done: false, value: delivery.value });
    }
    if (this.stopped) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

