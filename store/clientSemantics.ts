import type { Position } from './eventStore';
import { comparePositions } from './eventStore';

/**
 * Small pure translations between what `@eventstore/db-client` gives and what the EventStore port promises. Every
 * adapter over a client with these differences applies them; the embedded adapter has none to translate.
 */

/**
 * The port's `readAll({fromPosition})` is exclusive, the client's is inclusive: wrap the client's iterator in this
 * to drop the event at exactly `fromPosition`. Without a `fromPosition` (a read from the start) nothing is dropped.
 */
export async function* eventsAfter<T extends Readonly<{ position: Position }>>(
  fromPosition: Position | undefined,
  events: AsyncIterable<T>,
): AsyncGenerator<T> {
  for await (const event of events) {
    // Only the first event the client returns can sit at fromPosition; comparing each one keeps this right
    // whether it is applied before or after the adapter's own filtering.
    if (fromPosition && comparePositions(event.position, fromPosition) <= 0) continue;
    yield event;
  }
}

/** Raised by an adapter on a server that returns no `$all` positions: the port cannot work without them. */
export class PositionsUnsupportedError extends Error {
  constructor(readonly context: string) {
    super(
      `The event store returned no $all position (${context}): Hookbase needs a server that returns positions ` +
        '(EventStoreDB 20.10 or later)',
    );
    this.name = 'PositionsUnsupportedError';
  }
}

/** The client's positions are optional (absent on old servers): an adapter passes each one through this. */
export const requirePosition = (position: Position | undefined | null, context: string): Position => {
  if (position === undefined || position === null) throw new PositionsUnsupportedError(context);
  return position;
};
