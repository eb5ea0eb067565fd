import { streams } from '../../domain/streams';
import type { EventStore } from '../eventStore';
import { comparePositions, positionFromString, positionToString } from '../eventStore';
import { chainLinkOf, eventHash, GENESIS_HASH, UNCHAINED_PREDECESSOR_HASH } from './encoding';
import { readAnchors } from './verifyAnchors';
import type { AnchorBreakReason, AnchorClaim, AnchorKeyOptions } from './verifyAnchors';

/** The first place where the log disagrees with its chains or its anchors. */
export type ChainBreak = Readonly<{
  stream: string;
  /** Decimal, as positions are. */
  revision: string;
  /** The event's position in `$all`; for `missing`, null (there is no such event). */
  position: string | null;
  /** The event's type; for `missing`, null. */
  type: string | null;
  /** What broke: see docs/audit.md, "What `audit verify --log` reports". */
  reason: 'hash' | 'prev' | 'revision' | 'unchained' | 'malformed' | 'anchored' | 'missing' | AnchorBreakReason;
  /** The anchor involved (its sequence): the one that pins the event, or the one that does not hold. */
  anchor: string | null;
  /** For `hash`: the hash recomputed from the event; for `prev`: the hash of the event before it (or genesis, or unchained); for `anchored`/`missing`: the hash the anchor pins. */
  expected: string;
  /** The hash (or previous hash) the event carries; `missing` when the anchored event is not in the log. */
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
  /** Anchors checked (signature, chain, root), and the stream heads they pin, each found in the log with its hash. */
  anchors: number;
  anchoredHeads: number;
  /** The key the anchors were checked against (given, or the log's own). */
  keyId: string | null;
  lastAnchor: Readonly<{ sequence: string; at: string; upTo: string }> | null;
  /** Events after the position the last anchor covers: not pinned yet (a removal among them cannot be seen). */
  eventsAfterLastAnchor: number;
  firstBreak: ChainBreak | null;
}>;

export type VerifyLogOptions = AnchorKeyOptions;

/** What the walk remembers of a stream: its last revision and its last hash (null while unchained). */
type Tail = { revision: bigint; hash: string | null };

/**
 * Checks the anchors (verifyAnchors.ts), then walks `$all` once, in commit order, recomputing every stream's chain
 * (issue 18 item 5) and checking that every head an anchor pins is there with the hash it pins; what is still
 * unmatched at the end was removed (a stream's tail, or the whole stream). Holds one tail per stream and the
 * anchors' claims in memory (a few hundred bytes per stream). Stops at the first break: what follows a break is
 * not evidence of anything.
 */
export const verifyLog = async (store: EventStore, options: VerifyLogOptions = {}): Promise<LogVerification> => {
  const anchored = await readAnchors(store, options);
  const claims = anchored.claims;
  const lastUpTo = anchored.last ? positionFromString(anchored.last.upTo) : null;
  const anchorsStream = streams.auditAnchors();
  const tails = new Map<string, Tail>();
  let events = 0;
  let chainedEvents = 0;
  let unchainedEvents = 0;
  let eventsAfterLastAnchor = 0;
  /** The first chained event in `$all`, once seen. */
  let chainingBegan: string | null = null;
  const result = (firstBreak: ChainBreak | null): LogVerification => ({
    clean: firstBreak === null,
    streams: tails.size,
    events,
    chainedEvents,
    unchainedEvents,
    anchors: anchored.anchors,
    anchoredHeads: anchored.anchoredHeads,
    keyId: anchored.keyId,
    lastAnchor: anchored.last,
    eventsAfterLastAnchor,
    firstBreak,
  });
  if (anchored.firstBreak) {
    const b = anchored.firstBreak;
    return result({ stream: anchorsStream, revision: b.anchor ?? '-', position: b.position, type: b.anchor === null ? null : 'AuditAnchor', reason: b.reason, anchor: b.anchor, expected: b.expected, found: b.found, message: b.message });
  }

  for await (const event of store.readAll()) {
    events++;
    if (event.streamId !== anchorsStream && (lastUpTo === null || comparePositions(event.position, lastUpTo) > 0)) eventsAfterLastAnchor++;
    const tail = tails.get(event.streamId);
    const at = { stream: event.streamId, revision: event.revision.toString(), position: positionToString(event.position), type: event.type, anchor: null };
    const broken = (reason: ChainBreak['reason'], expected: string, found: string, message: string, anchor: string | null = null): LogVerification =>
      result({ ...at, anchor, reason, expected, found, message: `${event.streamId} revision ${event.revision} (${event.type}): ${message}` });

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
    // A whole chain recomputed after an edit still holds; the anchor that pinned this event does not move.
    const claim = takeClaim(claims, event.streamId, at.revision);
    if (claim && claim.hash !== link.hash) {
      return broken('anchored', claim.hash, link.hash, `anchor ${claim.anchor} pins this event with another hash (the stream was rewritten and its hashes recomputed)`, claim.anchor);
    }
    chainedEvents++;
    chainingBegan ??= `${event.streamId} revision ${event.revision}`;
    tails.set(event.streamId, { revision: event.revision, hash: link.hash });
  }
  // Pinned by an anchor, not found in the walk: removed.
  for (const [stream, byRevision] of claims) {
    for (const [revision, claim] of byRevision) {
      const tail = tails.get(stream);
      const where = tail ? `the stream now ends at revision ${tail.revision} (its tail was removed)` : 'the stream is not in the log (removed)';
      return result({
        stream,
        revision,
        position: null,
        type: null,
        reason: 'missing',
        anchor: claim.anchor,
        expected: claim.hash,
        found: 'missing',
        message: `${stream} revision ${revision}: anchor ${claim.anchor} pins it with hash ${claim.hash}, but ${where}`,
      });
    }
  }
  return result(null);
};

const takeClaim = (claims: Map<string, Map<string, AnchorClaim>>, stream: string, revision: string): AnchorClaim | undefined => {
  const byRevision = claims.get(stream);
  const claim = byRevision?.get(revision);
  if (claim && byRevision) {
    byRevision.delete(revision);
    if (byRevision.size === 0) claims.delete(stream);
  }
  return claim;
};
