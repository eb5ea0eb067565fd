import {
  ErrorType,
  END,
  START as CLIENT_START,
  eventTypeFilter,
  excludeSystemEvents,
  isCommandError,
  streamNameFilter,
} from '@eventstore/db-client';
import type {
  AllStreamSubscription,
  AppendExpectedRevision,
  CurrentRevision,
  Filter,
  Position as ClientPosition,
  ReadPosition,
  RecordedEvent as ClientRecordedEvent,
} from '@eventstore/db-client';
import type { JsonObject, JsonValue } from '../../domain/json';
import { PositionsUnsupportedError } from '../clientSemantics';
import type { AllFilter, ExpectedRevision, Position, RecordedEvent } from '../eventStore';
import {
  AppendTooLargeError,
  PersistentSubscriptionExistsError,
  PersistentSubscriptionNotFoundError,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  comparePositions,
} from '../eventStore';

/**
 * Pure translations between `@eventstore/db-client` 6.x and the EventStore port: expected revisions, positions,
 * recorded events, `$all` filters and errors. Kept apart from the adapter so that each is unit-tested on its own.
 */

/**
 * Raised on a server that returns no `$all` positions: the port cannot work without them. The port's error, with
 * the version EventStoreDB needs (the client returns event positions only from servers later than 22.6.0).
 */
export class EsdbPositionsUnsupportedError extends PositionsUnsupportedError {
  constructor(context: string) {
    super(context);
    this.message =
      `EventStoreDB returned no $all position (${context}): Hookbase needs a server that returns positions on appends ` +
      'and reads (EventStoreDB later than 22.6.0; Hookbase is built against 24.10)';
  }
}

/** The client's positions are optional (absent on old servers): every one passes through this. */
export const requirePosition = (position: ClientPosition | undefined | null, context: string): Position => {
  if (position === undefined || position === null) throw new EsdbPositionsUnsupportedError(context);
  return { commit: position.commit, prepare: position.prepare };
};

/** The port's expected revisions are the client's own constants ('no_stream', 'stream_exists', 'any', bigint). */
export const toClientExpectedRevision = (expected: ExpectedRevision): AppendExpectedRevision => {
  if (typeof expected === 'bigint') {
    if (expected < 0n) throw new RangeError(`An expected revision is 0 or more (got ${expected})`);
    return expected;
  }
  switch (expected) {
    case 'no_stream':
      return 'no_stream';
    case 'stream_exists':
      return 'stream_exists';
    case 'any':
      return 'any';
  }
};

/** Where a read or subscription starts: the port's START (nothing read yet) is the client's 'start'. */
export const toReadPosition = (position: Position | undefined): ReadPosition =>
  position === undefined || comparePositions(position, START) === 0 ? CLIENT_START : { commit: position.commit, prepare: position.prepare };

export { END as CLIENT_END };

const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);

/** JSON object content from the client: parsed already for JSON events, bytes for binary ones (or absent). */
const jsonObjectOf = (value: unknown, what: string, event: string): JsonObject => {
  if (value === undefined || value === null) return {};
  if (value instanceof Uint8Array) {
    if (value.length === 0) return {};
    const parsed: unknown = JSON.parse(Buffer.from(value).toString('utf8'));
    if (isJsonObject(parsed)) return parsed;
  } else if (isJsonObject(value)) {
    return value as { [key: string]: JsonValue };
  }
  throw new TypeError(`EventStoreDB event ${event}: its ${what} is not a JSON object`);
};

/** A client event as the port's RecordedEvent; refuses one without a position (see requirePosition). */
export const toRecordedEvent = (event: ClientRecordedEvent, context: string): RecordedEvent => ({
  id: event.id,
  streamId: event.streamId,
  revision: event.revision,
  position: requirePosition(event.position, `${context}, event ${event.id} of ${event.streamId}`),
  type: event.type,
  data: jsonObjectOf(event.data, 'data', event.id),
  metadata: jsonObjectOf(event.metadata, 'metadata', event.id),
  created: event.created,
});

export type CheckpointReached = (subscription: AllStreamSubscription, position: ClientPosition) => Promise<void> | void;

/**
 * The server-side filter of a subscription to `$all`: stream-name or event-type prefixes, or, without a filter,
 * every non-system event. A filter is always set so that the server reports checkpoints while it skips events
 * (`checkpointInterval` 1: every search window of the server, 32 events by default).
 */
export const toClientFilter = (filter: AllFilter | undefined, checkpointReached: CheckpointReached | undefined): Filter => {
  const checkpoint = { checkpointInterval: 1, ...(checkpointReached ? { checkpointReached } : {}) };
  if (!filter) return excludeSystemEvents(checkpoint);
  if ('streamNamePrefixes' in filter) return streamNameFilter({ prefixes: [...filter.streamNamePrefixes], ...checkpoint });
  return eventTypeFilter({ prefixes: [...filter.eventTypePrefixes], ...checkpoint });
};

const actualOf = (current: CurrentRevision): bigint | 'no_stream' => (typeof current === 'bigint' ? current : 'no_stream');

/**
 * Maps the client's errors to the port's: WrongExpectedVersionError, StreamNotFoundError and the persistent
 * subscription ones; anything else is returned unchanged. `context` names what was being done.
 */
export const mapClientError = (
  error: unknown,
  context: Readonly<{ streamId?: string; expected?: ExpectedRevision; group?: string; size?: number }>,
): unknown => {
  if (!(error instanceof Error) || !isCommandError(error)) return error;
  switch (error.type) {
    case ErrorType.WRONG_EXPECTED_VERSION:
      return new WrongExpectedVersionError(error.streamName || (context.streamId ?? ''), context.expected ?? error.expectedVersion, actualOf(error.actualVersion));
    case ErrorType.MAXIMUM_APPEND_SIZE_EXCEEDED:
      return new AppendTooLargeError(context.streamId ?? '', error.maxAppendSize, context.size ?? 0);
    case ErrorType.STREAM_NOT_FOUND:
      return new StreamNotFoundError(error.streamName || (context.streamId ?? ''));
    case ErrorType.PERSISTENT_SUBSCRIPTION_EXISTS:
      return new PersistentSubscriptionExistsError(error.groupName || (context.group ?? ''));
    case ErrorType.PERSISTENT_SUBSCRIPTION_DOES_NOT_EXIST:
      return new PersistentSubscriptionNotFoundError(error.groupName || (context.group ?? ''));
    default:
      return error;
  }
};

/**
 * Errors after which a subscription is worth opening again from its last checkpoint: the connection, not the
 * request, failed (server restart, leader change, network).
 */
export const isTransient = (error: unknown): boolean => {
  if (!(error instanceof Error) || !isCommandError(error)) return false;
  return [ErrorType.UNAVAILABLE, ErrorType.DEADLINE_EXCEEDED, ErrorType.TIMEOUT, ErrorType.NOT_LEADER, ErrorType.CANCELLED, ErrorType.UNKNOWN, ErrorType.PERSISTENT_SUBSCRIPTION_DROPPED].includes(error.type);
};

/**
 * Every record of one bounded read (a page). A read is always consumed to its end: the client's dispose() waits
 * for each of its read streams to finish, and one left early with its answer unread never does (close() hung
 * forever after a headPosition that found the head at the first record: seen on the wire, store/esdb/esdbWire.test.ts).
 */
export const readFully = async <T>(read: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of read) out.push(item);
  return out;
};
