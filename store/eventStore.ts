import { DomainError } from '../domain/errors';
import type { JsonObject } from '../domain/json';

/**
 * The EventStore port, shaped after EventStoreDB (@eventstore/db-client 6.x) so that the embedded adapter and
 * the EventStoreDB adapter are interchangeable. Revisions and positions are bigint, as in the client.
 *
 * Where the client differs, the adapter translates (helpers in store/clientSemantics.ts):
 * - Positions are required here and optional in the client (absent on old servers): an adapter passes every
 *   position it gets through `requirePosition`, which refuses a server that returns none.
 * - `readAll({fromPosition})` is exclusive here and inclusive in the client: an adapter applies
 *   `eventsAfter(fromPosition, …)` to the client's iterator.
 * - The client's `readAll` has no server-side filter: the adapter filters (`matchesFilter`) and drops `$` events.
 */

export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | bigint;

export const NO_STREAM = 'no_stream' as const;
export const STREAM_EXISTS = 'stream_exists' as const;
export const ANY = 'any' as const;

/** A `$all` position. The embedded store uses its global sequence number for both parts. */
export type Position = Readonly<{ commit: bigint; prepare: bigint }>;

export const START: Position = Object.freeze({ commit: -1n, prepare: -1n });

export type EventToAppend = Readonly<{
  type: string;
  data: JsonObject;
  metadata?: JsonObject;
  /** Event id (uuid); generated when absent. */
  id?: string;
}>;

export type RecordedEvent = Readonly<{
  id: string;
  streamId: string;
  revision: bigint;
  position: Position;
  type: string;
  data: JsonObject;
  metadata: JsonObject;
  /** When the store committed it. */
  created: Date;
}>;

export type AppendResult = Readonly<{ nextExpectedRevision: bigint; position: Position }>;

export type AppendOptions = Readonly<{ expectedRevision?: ExpectedRevision }>;

export type ReadStreamOptions = Readonly<{
  fromRevision?: bigint | 'start' | 'end';
  direction?: 'forwards' | 'backwards';
  maxCount?: number;
}>;

/** Filters of `$all`: by stream-name prefix or by event-type prefix (system events are always excluded). */
export type AllFilter =
  | Readonly<{ streamNamePrefixes: readonly string[] }>
  | Readonly<{ eventTypePrefixes: readonly string[] }>;

export type ReadAllOptions = Readonly<{
  /** Exclusive: events after this position (the client is inclusive: see `eventsAfter`). */
  fromPosition?: Position;
  maxCount?: number;
  filter?: AllFilter;
}>;

export type CatchUpOptions = Readonly<{
  /** Exclusive: the subscription delivers events after this position. Absent = from the start. */
  fromPosition?: Position;
  filter?: AllFilter;
}>;

export type CatchUpHandler = Readonly<{
  /** Events arrive in `$all` order; the next batch waits for the returned promise. */
  onEvents: (events: readonly RecordedEvent[]) => Promise<void>;
  /** Called once when the subscription drops for any reason but `stop()`. The caller resubscribes. */
  onDropped?: (error: Error) => void;
  /**
   * The subscription has read `$all` up to `position` (inclusive) and handed over every event there that its
   * filter lets through (EventStoreDB's `checkpointReached`): the events its filter dropped are behind it too.
   * Must come within a bounded time after the subscription passes events it drops, including when they are the
   * last ones written (embedded: after each read that ends past a dropped event; EventStoreDB: `checkpointReached`,
   * which comes every so many events read, so the adapter must also report the last ones), and never before the `onEvents` of an event at or before `position` has resolved.
   * It is what releases a waiter on a position no batch carries.
   */
  onCheckpoint?: (position: Position) => void | Promise<void>;
}>;

export interface Subscription {
  stop(): Promise<void>;
}

export type PersistentSubscriptionSettings = Readonly<{
  /** Where a new group starts: default the end, as in EventStoreDB. */
  startFrom?: 'start' | 'end' | Position;
  /** Unacked events are redelivered after this. Default 30 000 ms. */
  messageTimeoutMs?: number;
  /** After this many retries an event is parked. Default 10. */
  maxRetryCount?: number;
  filter?: AllFilter;
}>;

/** A group's settings with every default filled in, as `getPersistentSubscriptionToAllInfo` reports them. */
export type ResolvedPersistentSubscriptionSettings = Readonly<{
  messageTimeoutMs: number;
  maxRetryCount: number;
  /** When the adapter knows it (EventStoreDB's info does not report it). */
  filter?: AllFilter;
}>;

export const DEFAULT_MESSAGE_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RETRY_COUNT = 10;

export const resolvePersistentSettings = (s: PersistentSubscriptionSettings): ResolvedPersistentSubscriptionSettings => ({
  messageTimeoutMs: s.messageTimeoutMs ?? DEFAULT_MESSAGE_TIMEOUT_MS,
  maxRetryCount: s.maxRetryCount ?? DEFAULT_MAX_RETRY_COUNT,
  ...(s.filter ? { filter: s.filter } : {}),
});

export type PersistentEvent = Readonly<{
  event: RecordedEvent;
  /**
   * How many times this event was delivered to the group before, as far as the server counts: a timeout or a
   * `nack('retry')` adds one. NOT proof of a first delivery: EventStoreDB restarts it at 0 for a replayed parked
   * event, which also comes with the parked link's position (v24.10 OutstandingMessage.ForParkedEvent,
   * PersistentSubscriptions.Read.cs ConvertToReadEvent), and every server restarts it at 0 for what it redelivers
   * after a restart or a group update, from its checkpoint. Code that skips work on `retryCount === 0` must prove the
   * event is new some other way.
   */
  retryCount: number;
}>;

export type NackAction = 'park' | 'retry' | 'skip';

export interface PersistentSubscription {
  /** Acknowledges one or more events at once (EventStoreDB's client sends them in one message). */
  ack(...events: PersistentEvent[]): Promise<void>;
  nack(action: NackAction, reason: string, event: PersistentEvent): Promise<void>;
  /** Events of the group; iteration ends when `stop()` is called. */
  [Symbol.asyncIterator](): AsyncIterator<PersistentEvent>;
  stop(): Promise<void>;
}

export type PersistentSubscriptionInfo = Readonly<{
  group: string;
  settings: ResolvedPersistentSubscriptionSettings;
  /** Last checkpointed position; null before the first checkpoint. */
  checkpoint: Position | null;
  /** Embedded adapter: exact. Other adapters: what the server's statistics say (may lag). */
  parkedCount: number;
  inFlight: number;
}>;

export interface EventStore {
  appendToStream(streamId: string, events: readonly EventToAppend[], options?: AppendOptions): Promise<AppendResult>;
  /** Throws StreamNotFoundError while iterating when the stream does not exist. */
  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent>;
  /** Never returns events whose type starts with `$`. */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  /**
   * Position of the last event in `$all` whose type does not start with `$` (the last one projections and
   * subscriptions will see), or START when there is none. Waiting for it never waits on a system event.
   */
  headPosition(): Promise<Position>;
  subscribeToAll(options: CatchUpOptions, handler: CatchUpHandler): Subscription;

  /** Throws PersistentSubscriptionExistsError when the group exists. See also `ensurePersistentSubscriptionToAll`. */
  createPersistentSubscriptionToAll(group: string, settings?: PersistentSubscriptionSettings): Promise<void>;
  /**
   * Changes an existing group's message timeout and max retry count (what EventStoreDB can update; `startFrom` and
   * the filter are fixed at creation). Throws PersistentSubscriptionNotFoundError when there is no such group.
   */
  updatePersistentSubscriptionToAll(group: string, settings: Pick<PersistentSubscriptionSettings, 'messageTimeoutMs' | 'maxRetryCount'>): Promise<void>;
  subscribeToPersistentSubscriptionToAll(group: string, options?: Readonly<{ bufferSize?: number }>): PersistentSubscription;
  getPersistentSubscriptionToAllInfo(group: string): Promise<PersistentSubscriptionInfo>;
  /** Moves the group's parked events back to be delivered again (EventStoreDB says nothing about how many). */
  replayParkedEvents(group: string): Promise<void>;

  close(): Promise<void>;
}

export class WrongExpectedVersionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    readonly actual: bigint | 'no_stream',
  ) {
    super(`Wrong expected version on stream ${streamId}: expected ${String(expected)}, actual ${String(actual)}`);
    this.name = 'WrongExpectedVersionError';
  }
}

/**
 * A write larger than the event store accepts at once (EventStoreDB's MaxAppendSize, 1 MiB by default; the
 * embedded store has no such limit). A validation error (the API answers 422) that names the limit and the size,
 * not a 500: a message with a large payload and many deliveries is one event that can pass it.
 */
export class AppendTooLargeError extends DomainError {
  constructor(
    readonly streamId: string,
    /** Bytes the server accepts in one append, as it reports them. */
    readonly maxAppendSize: number,
    /** Bytes of the events' data in this append (what EventStoreDB counts). */
    readonly size: number,
  ) {
    const kib = (n: number): string => `${Math.ceil(n / 1024)} KiB`;
    const message =
      `The change is too large to store: its events are ${kib(size)} (${size} bytes) and the event store accepts at most ` +
      `${kib(maxAppendSize)} (${maxAppendSize} bytes) in one write (EventStoreDB's MaxAppendSize). A message counts its payload ` +
      'and one entry per delivery: send a smaller payload or to fewer endpoints, or raise the server\'s MaxAppendSize ' +
      '(EVENTSTORE_MAX_APPEND_SIZE, see docs/production.md).';
    super('validation', 'write_too_large', message, [{ field: 'body', rule: 'max_append_size', message }]);
    this.name = 'AppendTooLargeError';
  }
}

export class StreamNotFoundError extends Error {
  constructor(readonly streamId: string) {
    super(`Stream ${streamId} not found`);
    this.name = 'StreamNotFoundError';
  }
}

export class PersistentSubscriptionExistsError extends Error {
  constructor(readonly group: string) {
    super(`Persistent subscription group ${group} already exists`);
    this.name = 'PersistentSubscriptionExistsError';
  }
}

export class PersistentSubscriptionNotFoundError extends Error {
  constructor(readonly group: string) {
    super(`Persistent subscription group ${group} does not exist`);
    this.name = 'PersistentSubscriptionNotFoundError';
  }
}

/** Positions are stored as decimal strings: nothing serialises bigint for us. */
export const positionToString = (p: Position): string => `${p.commit}/${p.prepare}`;
export const positionFromString = (s: string): Position => {
  const [commit, prepare] = s.split('/');
  if (commit === undefined || prepare === undefined) throw new Error(`Not a position: ${s}`);
  return { commit: BigInt(commit), prepare: BigInt(prepare) };
};
export const comparePositions = (a: Position, b: Position): number =>
  a.commit === b.commit ? (a.prepare === b.prepare ? 0 : a.prepare < b.prepare ? -1 : 1) : a.commit < b.commit ? -1 : 1;

export const matchesFilter = (filter: AllFilter | undefined, e: Pick<RecordedEvent, 'streamId' | 'type'>): boolean => {
  if (e.type.startsWith('$')) return false;
  if (!filter) return true;
  if ('streamNamePrefixes' in filter) return filter.streamNamePrefixes.some((p) => e.streamId.startsWith(p));
  return filter.eventTypePrefixes.some((p) => e.type.startsWith(p));
};

/** Lag is counted up to this many events (a gauge then reads "at least"): counting reads them. */
export const LAG_COUNT_LIMIT = 10_000;

/**
 * How many events a reader at `after` has yet to see up to `head` (both positions in `$all`), counting the events
 * `readAll` returns (not `$` ones), up to `limit`. Positions cannot be subtracted: on EventStoreDB they are log
 * offsets in bytes (positions jump by the size of each record), only the embedded store's are dense.
 */
export const countEventsBehind = async (store: Pick<EventStore, 'readAll'>, after: Position, head: Position, limit = LAG_COUNT_LIMIT): Promise<number> => {
  if (comparePositions(head, after) <= 0) return 0;
  let count = 0;
  for await (const e of store.readAll({ fromPosition: after, maxCount: limit })) {
    if (comparePositions(e.position, head) > 0) break;
    count++;
  }
  return count;
};
