import { hexToBytes } from '@noble/hashes/utils.js';
import { streams } from '../../domain/streams';
import { ANCHOR_GENESIS_HASH, anchorHash, anchorHeaderOf, anchorHeadsOf, keyIdOf, verifyAnchor } from '../../sdk/src/audit/anchor.js';
import type { AnchorData } from '../../sdk/src/audit/anchor.js';
import type { EventStore, RecordedEvent } from '../eventStore';
import { positionToString, StreamNotFoundError } from '../eventStore';
import { AnchorKeyMismatchError, loadOrCreateAnchorKey, readAnchorKeyEvent } from './anchorKey';

/** Why the anchors do not hold (docs/audit.md, "What `audit verify --log` reports"). */
export type AnchorBreakReason = 'anchor-key' | 'anchor-malformed' | 'anchor-signature' | 'anchor-root' | 'anchor-chain';

export type AnchorBreak = Readonly<{
  reason: AnchorBreakReason;
  /** The anchor's sequence (its revision in the anchors stream); null for a key problem before any anchor. */
  anchor: string | null;
  position: string | null;
  expected: string;
  found: string;
  message: string;
}>;

/** One head an anchor pins: the event at `revision` of its stream must carry `hash`. */
export type AnchorClaim = Readonly<{ hash: string; anchor: string }>;

export type AnchorsRead = Readonly<{
  /** Per stream, per revision (decimal): what the anchors pin there. */
  claims: Map<string, Map<string, AnchorClaim>>;
  anchors: number;
  anchoredHeads: number;
  keyId: string | null;
  /** The last anchor's sequence, time and covered position. */
  last: Readonly<{ sequence: string; at: string; upTo: string }> | null;
  firstBreak: AnchorBreak | null;
}>;

export type AnchorKeyOptions = Readonly<{
  /** Check the anchors against this key (an auditor's copy); otherwise against the key the log names. */
  publicKey?: Uint8Array;
  /**
   * The master key, when the verifier runs in the server: the log's key event is then checked against its sealed
   * secret key, so that an edited public key in the log is named.
   */
  masterKey?: Buffer;
}>;

const emptyRead = (keyId: string | null, firstBreak: AnchorBreak | null): AnchorsRead => ({ claims: new Map(), anchors: 0, anchoredHeads: 0, keyId, last: null, firstBreak });

/** The public key to check the anchors against, or a break saying why there is none. */
const resolveKey = async (events: EventStore, options: AnchorKeyOptions): Promise<Uint8Array | null | AnchorBreak> => {
  if (options.publicKey) return options.publicKey;
  const data = await readAnchorKeyEvent(events);
  if (!data) return null;
  if (options.masterKey) {
    try {
      await loadOrCreateAnchorKey(events, options.masterKey);
    } catch (error) {
      if (error instanceof AnchorKeyMismatchError) {
        return { reason: 'anchor-key', anchor: null, position: null, expected: error.derived, found: error.recorded, message: `${streams.auditKey()}: ${error.message}` };
      }
      throw error;
    }
  }
  return hexToBytes(data.publicKey);
};

/**
 * Reads the anchors stream and checks each anchor: its signature against the key, that it names that key, that its
 * heads hash to its root, that it is the anchor after the one before (sequence, `prev`). Returns what the anchors pin
 * for the walk of the log to check (verifyLog.ts), or the first anchor that does not hold.
 */
export const readAnchors = async (events: EventStore, options: AnchorKeyOptions = {}): Promise<AnchorsRead> => {
  const key = await resolveKey(events, options);
  if (key !== null && !(key instanceof Uint8Array)) return emptyRead(null, key);
  const keyId = key ? keyIdOf(key) : null;
  const claims = new Map<string, Map<string, AnchorClaim>>();
  let anchors = 0;
  let anchoredHeads = 0;
  let prev = ANCHOR_GENESIS_HASH;
  let last: AnchorsRead['last'] = null;
  const broken = (event: RecordedEvent, reason: AnchorBreakReason, expected: string, found: string, message: string): AnchorsRead => ({
    claims,
    anchors,
    anchoredHeads,
    keyId,
    last,
    firstBreak: { reason, anchor: event.revision.toString(), position: positionToString(event.position), expected, found, message: `anchor ${event.revision}: ${message}` },
  });
  try {
    for await (const event of events.readStream(streams.auditAnchors())) {
      if (!key) return broken(event, 'anchor-key', 'a public key', 'none', 'there is no anchor key in the log and none was given (--public-key)');
      const data = event.data as unknown as AnchorData;
      if (event.type !== 'AuditAnchor') return broken(event, 'anchor-malformed', 'AuditAnchor', event.type, `an event of type ${event.type} in the anchors stream`);
      const problem = verifyAnchor(data, key);
      if (problem) {
        const reason: AnchorBreakReason = problem.reason === 'malformed' ? 'anchor-malformed' : problem.reason === 'key' ? 'anchor-key' : problem.reason === 'signature' ? 'anchor-signature' : 'anchor-root';
        const signed = problem.reason === 'signature' ? { expected: `a signature by key ${keyId ?? ''}`, found: String(data.signature) } : { expected: problem.expected ?? '', found: problem.found ?? '' };
        return broken(event, reason, signed.expected, signed.found, problem.message);
      }
      if (data.sequence !== event.revision.toString()) return broken(event, 'anchor-chain', event.revision.toString(), data.sequence, `it says it is anchor ${data.sequence}, but it is at revision ${event.revision} of the anchors stream`);
      if (data.prev !== prev) return broken(event, 'anchor-chain', prev, data.prev, 'its previous-anchor hash is not the hash of the anchor before it');
      prev = anchorHash(anchorHeaderOf(data));
      anchors++;
      last = { sequence: data.sequence, at: data.at, upTo: data.upTo };
      // Version 1 lists its heads, version 2 stores them compactly: the same heads either way (verifyAnchor decoded them).
      for (const head of anchorHeadsOf(data)) {
        const byRevision = claims.get(head.stream) ?? new Map<string, AnchorClaim>();
        byRevision.set(head.revision, { hash: head.hash, anchor: data.sequence });
        claims.set(head.stream, byRevision);
        anchoredHeads++;
      }
    }
  } catch (error) {
    if (!(error instanceof StreamNotFoundError)) throw error;
  }
  return { claims, anchors, anchoredHeads, keyId, last, firstBreak: null };
};
