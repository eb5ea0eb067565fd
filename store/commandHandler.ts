import type { Decider } from '../domain/decider';
import { DomainError } from '../domain/errors';
import { eventMetadata, upcast } from '../domain/events';
import type { HookbaseEvent } from '../domain/events';
import type { JsonObject } from '../domain/json';
import type { EventStore, ExpectedRevision, Position } from './eventStore';
import { StreamNotFoundError, WrongExpectedVersionError } from './eventStore';

export type Aggregate<S> = Readonly<{ state: S; revision: bigint | null }>;

/** Folds a stream into its decider's state; a missing stream gives the initial state and revision null. */
export const aggregateStream = async <S, E extends HookbaseEvent>(
  store: EventStore,
  streamId: string,
  evolve: (state: S, event: E) => S,
  initial: () => S,
): Promise<Aggregate<S>> => {
  let state = initial();
  let revision: bigint | null = null;
  try {
    for await (const recorded of store.readStream(streamId)) {
      const event = upcast(recorded.type, recorded.data, recorded.metadata);
      revision = recorded.revision;
      if (event) state = evolve(state, event as E);
    }
  } catch (error) {
    if (!(error instanceof StreamNotFoundError)) throw error;
  }
  return { state, revision };
};

export type CommandResult<S, E> = Readonly<{
  state: S;
  events: readonly E[];
  /** `$all` position of the last appended event; null when the command decided nothing. */
  position: Position | null;
}>;

export type HandleOptions = Readonly<{
  /** Overrides the loaded revision, e.g. 'no_stream' to make a stream's creation the idempotency check. */
  expectedRevision?: ExpectedRevision;
  /** Retries after a concurrent write (reload, decide again). Default 3. */
  retries?: number;
  metadata?: JsonObject;
}>;

/**
 * load → decide → append with the loaded revision → return. A concurrent append makes the append fail with
 * WrongExpectedVersionError; we reload and decide again, and report a conflict when that keeps happening.
 */
export const handleCommand = async <S, C, E extends HookbaseEvent>(
  store: EventStore,
  streamId: string,
  decider: Decider<S, C, E>,
  command: C,
  options: HandleOptions = {},
): Promise<CommandResult<S, E>> => {
  const retries = options.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    // 1. load — a creation expecting no stream decides on the initial state; the append checks the expectation
    const { state, revision } =
      options.expectedRevision === 'no_stream'
        ? { state: decider.initialState(), revision: null }
        : await aggregateStream(store, streamId, decider.evolve, decider.initialState);
    // A caller's expectation is checked before deciding, so that it fails the same way whether it loses the race or not.
    const expected = options.expectedRevision;
    if (expected === 'no_stream' && revision !== null) throw new WrongExpectedVersionError(streamId, expected, revision);
    if (expected === 'stream_exists' && revision === null) throw new WrongExpectedVersionError(streamId, expected, 'no_stream');
    if (typeof expected === 'bigint' && expected !== revision) throw new WrongExpectedVersionError(streamId, expected, revision ?? 'no_stream');
    // 2. decide (throws DomainError)
    const events = decider.decide(command, state);
    if (events.length === 0) return { state, events, position: null };
    // 3. append, expecting the revision we decided on
    try {
      const result = await store.appendToStream(
        streamId,
        events.map((e) => ({ type: e.type, data: e.data, metadata: eventMetadata(e.type, options.metadata) })),
        { expectedRevision: options.expectedRevision ?? revision ?? 'no_stream' },
      );
      // 4. return the new state
      return { state: events.reduce(decider.evolve, state), events, position: result.position };
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      // A caller that chose the expected revision handles the conflict itself (idempotent creation).
      if (options.expectedRevision !== undefined) throw error;
      if (attempt >= retries) {
        throw new DomainError('conflict', 'concurrent_modification', `${streamId} was changed concurrently; try again.`);
      }
    }
  }
};
