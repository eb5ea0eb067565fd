import { BACKWARDS, END, EventStoreDBClient, FORWARDS, jsonEvent } from '@eventstore/db-client';
import type { AllStreamResolvedEvent, ResolvedEvent } from '@eventstore/db-client';
import type {
  AppendOptions,
  AppendResult,
  CatchUpHandler,
  CatchUpOptions,
  EventStore,
  EventToAppend,
  PersistentSubscription,
  PersistentSubscriptionInfo,
  PersistentSubscriptionSettings,
  Position,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  Subscription,
} from '../eventStore';
import { START, comparePositions, matchesFilter } from '../eventStore';
import { DEFAULT_RETRY, EsdbCatchUpSubscription } from './catchUp';
import type { RetryPolicy } from './catchUp';
import { EsdbPersistentSubscription, fromClientInfo, toClientSettings } from './persistent';
import { mapClientError, readFully, requirePosition, toClientExpectedRevision, toClientFilter, toReadPosition, toRecordedEvent } from './translate';
import { PositionsUnsupportedError } from '../clientSemantics';
import { StoreUnreachableError, redactUrl, withTimeout } from '../unreachable';

/** The client calls the adapter makes: the edge that unit tests fake. */
export type EsdbClient = Pick<
  EventStoreDBClient,
  | 'appendToStream'
  | 'readStream'
  | 'readAll'
  | 'subscribeToAll'
  | 'createPersistentSubscriptionToAll'
  | 'updatePersistentSubscriptionToAll'
  | 'subscribeToPersistentSubscriptionToAll'
  | 'getPersistentSubscriptionToAllInfo'
  | 'replayParkedMessagesToAll'
  | 'dispose'
>;

export type EsdbOptions = Readonly<{
  /** Resubscription of dropped catch-up subscriptions. */
  retry?: RetryPolicy;
  log?: (line: string) => void;
  /** Raw `$all` events read per request by readAll and headPosition (they filter in the adapter). */
  pageSize?: number;
  /** How often an idle catch-up subscription looks for a tail of events its filter drops (catchUp.ts). */
  tailCheckMs?: number;
}>;

const isSystem = (e: Readonly<{ type: string; streamId: string }>): boolean => e.type.startsWith('$') || e.streamId.startsWith('$');


/** Group name → the filter it was created with (the server's info does not report it; see the port). */
type Filters = Map<string, PersistentSubscriptionSettings['filter']>;

/**
 * The EventStore port on EventStoreDB (`@eventstore/db-client` 6.x). Where the client differs from the port it
 * translates (translate.ts): `$all` reads are exclusive of their start and drop system events (the client's are
 * inclusive and unfiltered), positions are required (a server that returns none is refused), errors are the
 * port's, catch-up subscriptions batch and resubscribe after a dropped connection (catchUp.ts).
 */
export class EsdbEventStore implements EventStore {
  private readonly subscriptions = new Set<Subscription | PersistentSubscription>();
  private readonly filters: Filters = new Map();
  private readonly pageSize: number;
  private closed = false;

  constructor(
    private readonly client: EsdbClient,
    private readonly options: EsdbOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 500;
  }

  /**
   * Connects to `url` (an `esdb://` connection string) and checks, within `timeoutMs`, that the server answers
   * and returns positions. Throws StoreUnreachableError naming the URL (password hidden) otherwise.
   */
  static async connect(url: string, options: EsdbOptions & Readonly<{ timeoutMs?: number }> = {}): Promise<EsdbEventStore> {
    const timeoutMs = options.timeoutMs ?? 5_000;
    let client: EventStoreDBClient;
    try {
      client = EventStoreDBClient.connectionString(url);
    } catch (error) {
      throw new StoreUnreachableError('EventStoreDB', url, `invalid connection string: ${error instanceof Error ? error.message : String(error)}`);
    }
    const store = new EsdbEventStore(client, options);
    try {
      await withTimeout(store.verifyServer(timeoutMs), timeoutMs, `no answer within ${timeoutMs} ms`);
    } catch (error) {
      await client.dispose().catch(() => {});
      // A server that answers without positions is reachable, and refused as such.
      if (error instanceof StoreUnreachableError || error instanceof PositionsUnsupportedError) throw error;
      throw new StoreUnreachableError('EventStoreDB', url, error instanceof Error ? error.message : String(error));
    }
    options.log?.(`esdb: connected to ${redactUrl(url)}`);
    return store;
  }

  /** One read of the last `$all` record: the server answers, and with a position (PositionsUnsupportedError otherwise). */
  async verifyServer(timeoutMs: number): Promise<void> {
    for await (const resolved of this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1, deadline: timeoutMs })) {
      if (resolved.event) requirePosition(resolved.event.position, 'a read of $all');
    }
  }

  async appendToStream(streamId: string, events: readonly EventToAppend[], options: AppendOptions = {}): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    const data = events.map((e) => jsonEvent({ type: e.type, data: e.data, metadata: e.metadata ?? {}, ...(e.id ? { id: e.id } : {}) }));
    try {
      const result = await this.client.appendToStream(streamId, data, { expectedRevision: toClientExpectedRevision(expected) });
      return { nextExpectedRevision: result.nextExpectedRevision, position: requirePosition(result.position, `an append to ${streamId}`) };
    } catch (error) {
      // What the server counts against MaxAppendSize: the events' data (v24.10 Event.SizeOnDisk).
      const size = events.reduce((sum, e) => sum + Buffer.byteLength(JSON.stringify(e.data)), 0);
      throw mapClientError(error, { streamId, expected, size });
    }
  }

  /** Pages of `pageSize` events, each read to its end before its events are handed out (see readFully). */
  async *readStream(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    const backwards = options.direction === 'backwards';
    let from: bigint | 'start' | 'end' = options.fromRevision ?? (backwards ? 'end' : 'start');
    let left = options.maxCount ?? Number.POSITIVE_INFINITY;
    while (left > 0) {
      const count = Math.min(this.pageSize, left);
      let page: ResolvedEvent[];
      try {
        page = await readFully(this.client.readStream(streamId, { fromRevision: from, direction: backwards ? BACKWARDS : FORWARDS, maxCount: count }) as AsyncIterable<ResolvedEvent>);
      } catch (error) {
        throw mapClientError(error, { streamId });
      }
      let last: bigint | undefined;
      for (const resolved of page) {
        if (!resolved.event) continue;
        last = resolved.event.revision;
        yield toRecordedEvent(resolved.event, `a read of ${streamId}`);
      }
      left -= page.length;
      if (page.length < count || last === undefined || (backwards && last === 0n)) return;
      from = backwards ? last - 1n : last + 1n;
    }
  }

  /**
   * Pages of raw `$all` records (the client cannot filter a read): each page starts at the last record of the
   * previous one, which the client returns again (its reads are inclusive) and this drops, as it drops the
   * record at `fromPosition`.
   */
  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    const max = options.maxCount ?? Number.POSITIVE_INFINITY;
    let after: Position | undefined = options.fromPosition && comparePositions(options.fromPosition, START) !== 0 ? options.fromPosition : undefined;
    let yielded = 0;
    if (max <= 0) return;
    for (;;) {
      let raw = 0;
      let last: Position | undefined;
      const page = await readFully(this.client.readAll({ direction: FORWARDS, fromPosition: toReadPosition(after), maxCount: this.pageSize }) as AsyncIterable<AllStreamResolvedEvent>);
      for (const resolved of page) {
        raw++;
        const event = resolved.event;
        if (!event) continue;
        const position = requirePosition(event.position, 'a read of $all');
        last = position;
        if (after && comparePositions(position, after) <= 0) continue;
        if (isSystem(event)) continue;
        const recorded = toRecordedEvent(event, 'a read of $all');
        if (!matchesFilter(options.filter, recorded)) continue;
        yield recorded;
        if (++yielded >= max) return;
      }
      if (raw < this.pageSize || !last || (after && comparePositions(last, after) <= 0)) return;
      after = last;
    }
  }

  /** The last event projections will see: `$all` read backwards past system records. */
  async headPosition(): Promise<Position> {
    let from: Position | 'end' = 'end';
    for (;;) {
      let raw = 0;
      let last: Position | undefined;
      const page = await readFully(this.client.readAll({ direction: BACKWARDS, fromPosition: from === 'end' ? END : from, maxCount: this.pageSize }) as AsyncIterable<AllStreamResolvedEvent>);
      for (const resolved of page) {
        raw++;
        const event = resolved.event;
        if (!event) continue;
        const position = requirePosition(event.position, 'a read of $all');
        last = position;
        if (!isSystem(event)) return position;
      }
      if (raw < this.pageSize || !last || (from !== 'end' && comparePositions(last, from) >= 0)) return START;
      from = last;
    }
  }

  subscribeToAll(options: CatchUpOptions, handler: CatchUpHandler): Subscription {
    this.assertOpen();
    const subscription = new EsdbCatchUpSubscription(this.client, options, handler, this.options.retry ?? DEFAULT_RETRY, this.options.log, this.options.tailCheckMs);
    return this.track(subscription);
  }

  async createPersistentSubscriptionToAll(group: string, settings: PersistentSubscriptionSettings = {}): Promise<void> {
    try {
      await this.client.createPersistentSubscriptionToAll(group, toClientSettings(settings), { filter: toClientFilter(settings.filter, undefined) });
      this.filters.set(group, settings.filter);
    } catch (error) {
      throw mapClientError(error, { group });
    }
  }

  /** The server needs every setting: the group's current ones, with the two the port may change. */
  async updatePersistentSubscriptionToAll(group: string, settings: Pick<PersistentSubscriptionSettings, 'messageTimeoutMs' | 'maxRetryCount'>): Promise<void> {
    try {
      const info = await this.client.getPersistentSubscriptionToAllInfo(group);
      await this.client.updatePersistentSubscriptionToAll(group, {
        ...info.settings,
        ...(settings.messageTimeoutMs === undefined ? {} : { messageTimeout: settings.messageTimeoutMs }),
        ...(settings.maxRetryCount === undefined ? {} : { maxRetryCount: settings.maxRetryCount }),
      });
    } catch (error) {
      throw mapClientError(error, { group });
    }
  }

  subscribeToPersistentSubscriptionToAll(group: string, options: Readonly<{ bufferSize?: number }> = {}): PersistentSubscription {
    this.assertOpen();
    const client = this.client.subscribeToPersistentSubscriptionToAll(group, options.bufferSize === undefined ? {} : { bufferSize: options.bufferSize });
    return this.track(new EsdbPersistentSubscription(client, group, this.filters.get(group), this.options.log));
  }

  async getPersistentSubscriptionToAllInfo(group: string): Promise<PersistentSubscriptionInfo> {
    try {
      return fromClientInfo(group, await this.client.getPersistentSubscriptionToAllInfo(group));
    } catch (error) {
      throw mapClientError(error, { group });
    }
  }

  /** The server says nothing about how many it moved back. */
  async replayParkedEvents(group: string): Promise<void> {
    try {
      await this.client.replayParkedMessagesToAll(group);
    } catch (error) {
      throw mapClientError(error, { group });
    }
  }

  /** Stops every subscription, then closes the client's connection (its long-lived append stream included). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.subscriptions].map((s) => s.stop()));
    await this.client.dispose();
  }

  private track<S extends Subscription | PersistentSubscription>(subscription: S): S {
    this.subscriptions.add(subscription);
    const stop = subscription.stop.bind(subscription);
    subscription.stop = async () => {
      this.subscriptions.delete(subscription);
      await stop();
    };
    return subscription;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The EventStoreDB store is closed');
  }
}
