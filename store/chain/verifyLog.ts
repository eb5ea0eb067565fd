import type { EventStore } from '../eventStore';
import { positionToString } from '../eventStore';
import { chainLinkOf, eventHash, GENESIS_HASH, UNCHAINED_PREDECESSOR_HASH } from './encoding';

/** The first place where the log disagrees with its chains. */
export type ChainBreak = Readonly<{
  stream: string;
  /** Decimal, as positions are. */
  revision: string;
  position: string;
  type: string;
  /** What broke: see docs/audit.md, "What `audit verify --log` reports". */
  reason: 'hash' | 'prev' | 'revision' | 'unchained' | 'malformed';
  /** For `hash`: the hash recomputed from the event; for `prev`: the hash of the event before it (or genesis, or unchained). */
  expected: string;
  /** The hash (or previous hash) the event carries. */
  found: string;
  message: string;
}>;

export type LogVerification = Readonly<{
  clean: boolean;
  streams: number;
  events: number;
  chainedEvents: number;
  /** Events written before chaining existed (the head of each such stream's history). */
  unchainedEvents: number;
  firstBreak: ChainBreak | null;
}>;

/** What the walk remembers of a stream: its last revision and its last hash (null while unchained). */
type Tail = { revision: bigint; hash: string | null };

/**
 * Walks `$all` once, in commit order, recomputing every stream's chain (issue 18 item 5). Holds one tail per stream
 * in memory (a few hundred bytes each). Stops at the first break: what follows a break is not evidence of anything.
 */
export const verifyLog = async (store: EventStore): Promise<LogVerification> => {
  const tails = new Map<string, Tail>();
  let events = 0;
  let chainedEvents = 0;
  let unchainedEvents = 0;
  /** The first chained event in `$all`, once seen. */
  let chainingBegan: string | null = null;
  const result = (firstBreak: ChainBreak | null): LogVerification => ({ clean: firstBreak === null, streams: tails.size, events, chainedEvents, unchainedEvents, firstBreak });

  for await (const event of store.readAll()) {
    events++;
    const tail = tails.get(event.streamId);
    const at = { stream: event.streamId, revision: event.revision.toString(), position: positionToString(event.position), type: event.type };
    const broken = (reason: ChainBreak['reason'], expected: string, found: string, message: string): LogVerification =>
      result({ ...at, reason, expected, found, message: `${event.streamId} revision ${event.revision} (${event.type}): ${message}` });

    const expectedRevision = tail ? tail.revision + 1n : 0n;
    const link = chainLinkOf(event.metadata);
    if (link === 'malformed') return broken('malformed', '{prev, hash}: 64 hex digits each', JSON.stringify(event.metadata.chain), 'its chain metadata is malformed');
    // Hashes first: a chained event's previous hash names what is missing or out of place before its revision does.
    const revisionBreak = (): LogVerification =>
      broken('revision', expectedRevision.toString(), event.revision.toString(), `revision ${event.revision} follows ${tail ? `revision ${tail.revision}` : 'nothing'}: an event is missing or out of place`);
    if (link === null) {
      if (event.revision !== expectedRevision) return revisionBreak();
      if (tail?.hash) return broken('unchained', 'a chain link', 'none', `it carries no chain link, but revision ${tail.revision} before it does`);
      // Every append is chained since chaining began: an unchained event after the first chained one was not written by Hookbase.
      if (chainingBegan) return broken('unchained', 'a chain link', 'none', `it carries no chain link, but it was written after ${chainingBegan} (chaining had begun)`);
      unchainedEvents++;
      tails.set(event.streamId, { revision: event.revision, hash: null });
      continue;
    }
    const expectedPrev = !tail ? GENESIS_HASH : (tail.hash ?? UNCHAINED_PREDECESSOR_HASH);
    if (link.prev !== expectedPrev) return broken('prev', expectedPrev, link.prev, 'its previous hash is not the hash of the event before it');
    const recomputed = eventHash(event, link.prev);
    if (recomputed !== link.hash) return broken('hash', recomputed, link.hash, 'its content does not hash to the hash it carries (edited)');
    if (event.revision !== expectedRevision) return revisionBreak();
    chainedEvents++;
    chainingBegan ??= `${event.streamId} revision ${event.revision}`;
    tails.set(event.streamId, { revision: event.revision, hash: link.hash });
  }
  return result(null);
};
