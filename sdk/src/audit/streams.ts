// Checks the hash chains of the streams a receipt or a bundle carries (docs/audit.md, "Receipts and bundles").
// Pure: no `node:` import, so it runs in a browser. The encoding is the server's own (store/chain/encoding.ts).
import { chainLinkOf, eventHash, GENESIS_HASH, UNCHAINED_PREDECESSOR_HASH } from './chain.js';

/** An event as a receipt or bundle carries it: what its chain hash covers, plus where the store put it. */
export type ChainedEvent = Readonly<{
  stream: string;
  /** Decimal, from 0. */
  revision: string;
  type: string;
  data: unknown;
  /** As stored, with `chain: {prev, hash}`. */
  metadata: Readonly<Record<string, unknown>>;
  /** The `$all` position (`commit`); not covered by the chain (the store assigns it). */
  position?: string;
  /** When the store committed it; not covered by the chain either. */
  recordedAt?: string;
}>;

/** Something a verifier found wrong, named so that a person can find it in the file. */
export type Problem = Readonly<{
  /** Where: `events[12] (outbound-out_…, revision 3)`, `manifest.signature`, `anchors[0]`… */
  at: string;
  /** What rule broke: `hash`, `prev`, `revision`, `unchained`, `malformed`, `signature`, `proof`, `digest`, `mismatch`, `canonical`, `anchor`, `format`. */
  reason: string;
  message: string;
}>;

/** A stream's chain as the events carried prove it. */
export type StreamHead = Readonly<{
  stream: string;
  /** The last revision carried (decimal). */
  revision: string;
  /** Its chain hash; null when the stream's carried events are all unchained (written before chaining existed). */
  hash: string | null;
  events: number;
  /** Events at the start of the stream written before chaining existed: carried, but not proven. */
  unchainedEvents: number;
  /** The chain hash at each revision (null for the unchained ones). */
  hashes: readonly (string | null)[];
}>;

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** Whether a value has an event's shape: {stream, revision (decimal), type, data, metadata (any JSON), metadata (an object)}. */
export const isChainedEvent = (e: unknown): e is ChainedEvent => {
  const event = e as ChainedEvent | null;
  return event !== null && typeof event === 'object' && typeof event.stream === 'string' && typeof event.revision === 'string' && DECIMAL.test(event.revision) && typeof event.type === 'string' && event.data !== undefined && event.metadata !== null && typeof event.metadata === 'object';
};

/**
 * Recomputes every stream's chain from its revision 0, as `audit verify --log` does on the server. `events` are
 * in any order; `label(i)` names the i-th for a problem. Each stream must be carried whole from revision 0: a chain
 * proves nothing from the middle.
 */
export const verifyStreams = (events: readonly ChainedEvent[], label: (index: number) => string): { heads: Map<string, StreamHead>; problems: Problem[] } => {
  const problems: Problem[] = [];
  const byStream = new Map<string, { event: ChainedEvent; index: number }[]>();
  events.forEach((event, index) => {
    if (!isChainedEvent(event)) {
      problems.push({ at: label(index), reason: 'malformed', message: `${label(index)} is not an event {stream, revision (decimal), type, data, metadata}.` });
      return;
    }
    const list = byStream.get(event.stream) ?? [];
    list.push({ event, index });
    byStream.set(event.stream, list);
  });
  const heads = new Map<string, StreamHead>();
  for (const [stream, list] of byStream) {
    list.sort((a, b) => Number(BigInt(a.event.revision) - BigInt(b.event.revision)));
    let prevHash: string | null = null;
    const hashes: (string | null)[] = [];
    let unchained = 0;
    let broken = false;
    for (let i = 0; i < list.length && !broken; i++) {
      const { event, index } = list[i]!;
      const at = `${label(index)} (${stream}, revision ${event.revision})`;
      const fail = (reason: string, message: string): void => {
        problems.push({ at, reason, message: `${at}: ${message}` });
        broken = true;
      };
      if (event.revision !== String(i)) {
        fail('revision', `expected revision ${i}: ${i === 0 ? 'the stream must be carried from revision 0' : `revision ${i} is missing or carried twice`}.`);
        break;
      }
      const link = chainLinkOf(event.metadata);
      if (link === 'malformed') fail('malformed', 'its chain metadata is not {prev, hash} with 64 hex digits each.');
      else if (link === null) {
        if (prevHash !== null) fail('unchained', 'it carries no chain link, but the event before it does.');
        else {
          unchained++;
          hashes.push(null);
        }
      } else {
        const expectedPrev = i === 0 ? GENESIS_HASH : (prevHash ?? UNCHAINED_PREDECESSOR_HASH);
        if (link.prev !== expectedPrev) fail('prev', `its previous hash ${link.prev} is not ${expectedPrev}, the hash of the event before it (an event was removed, added or moved).`);
        else {
          const recomputed = eventHash({ streamId: stream, revision: BigInt(event.revision), type: event.type, data: event.data, metadata: event.metadata }, link.prev);
          if (recomputed !== link.hash) fail('hash', `its content hashes to ${recomputed}, not to the hash ${link.hash} it carries (edited).`);
          else hashes.push((prevHash = link.hash));
        }
      }
    }
    if (!broken) {
      const last = list[list.length - 1]!.event;
      heads.set(stream, { stream, revision: last.revision, hash: prevHash, events: list.length, unchainedEvents: unchained, hashes });
    }
  }
  return { heads, problems };
};
