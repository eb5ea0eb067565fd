// What the server adds to a receipt or a bundle so that it verifies offline (docs/audit.md, "Receipts and bundles"):
// the chained events as stored, the signed anchors pinning their streams with inclusion proofs, and the deployment's
// signature. The anchors and the key are the anchor writer's (store/chain/anchorWriter.ts, anchorKey.ts): read here.
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { streams } from '../../domain/streams';
import type { AnchorData, SignedAnchor } from '../../sdk/src/audit/anchor.js';
import { anchorFormatOf, anchorHeaderOf, anchorHeadsOf, headLeafHashes } from '../../sdk/src/audit/anchor.js';
import { merkleInclusionProof } from '../../sdk/src/audit/merkle.js';
import type { Anchoring, HeadProof } from '../../sdk/src/audit/anchoring.js';
import type { ChainedEvent } from '../../sdk/src/audit/streams.js';
import { loadOrCreateAnchorKey } from '../../store/chain/anchorKey';
import type { EventStore, RecordedEvent } from '../../store/eventStore';
import { StreamNotFoundError } from '../../store/eventStore';

const ANCHORS_STREAM = streams.auditAnchors();

/** A stored event as receipts and bundles carry it. */
export const chainedEvent = (e: RecordedEvent): ChainedEvent => ({
  stream: e.streamId,
  revision: e.revision.toString(),
  type: e.type,
  data: e.data,
  metadata: e.metadata,
  position: e.position.commit.toString(),
  recordedAt: e.created.toISOString(),
});

/** A stream's events, whole from revision 0; [] when it does not exist. */
export const readChained = async (events: EventStore, stream: string): Promise<ChainedEvent[]> => {
  const out: ChainedEvent[] = [];
  try {
    for await (const e of events.readStream(stream)) out.push(chainedEvent(e));
  } catch (error) {
    if (!(error instanceof StreamNotFoundError)) throw error;
  }
  return out;
};

const commitOf = (position: string): bigint => BigInt(position.split('/')[0] ?? '0');

/**
 * For each stream wanted (with the commit position of its first event), the latest anchor that pins it and the proof
 * of its head there. Reads the anchors stream backwards from its end and stops once every stream is found or the
 * anchors are older than the streams' first events (an anchor pins only heads that changed since the one before).
 */
export const anchoringFor = async (events: EventStore, wanted: ReadonlyMap<string, bigint>): Promise<Anchoring> => {
  const missing = new Map(wanted);
  const proofs: HeadProof[] = [];
  const used = new Map<string, SignedAnchor>();
  const oldest = [...wanted.values()].reduce<bigint | null>((min, p) => (min === null || p < min ? p : min), null);
  if (oldest === null) return { anchors: [], proofs: [] };
  try {
    for await (const e of events.readStream(ANCHORS_STREAM, { direction: 'backwards' })) {
      if (e.type !== 'AuditAnchor') continue;
      const anchor = e.data as unknown as AnchorData;
      if (commitOf(anchor.upTo) < oldest) break;
      // Decoded, and its leaves hashed, once per anchor however many of its heads are wanted.
      const heads = anchorHeadsOf(anchor);
      let leaves: Uint8Array[] | null = null;
      heads.forEach((head, index) => {
        if (!missing.has(head.stream)) return;
        leaves ??= headLeafHashes(heads, anchorFormatOf(anchor));
        missing.delete(head.stream);
        proofs.push({ anchor: anchor.sequence, head, proof: { index, size: heads.length, path: merkleInclusionProof(leaves, index).map((p) => bytesToHex(p)) } });
        used.set(anchor.sequence, { ...anchorHeaderOf(anchor), signature: anchor.signature });
      });
      if (missing.size === 0) break;
    }
  } catch (error) {
    if (!(error instanceof StreamNotFoundError)) throw error;
  }
  const anchors = [...used.values()].sort((a, b) => (BigInt(a.sequence) < BigInt(b.sequence) ? -1 : 1));
  proofs.sort((a, b) => (a.head.stream < b.head.stream ? -1 : 1));
  return { anchors, proofs };
};

export type DeploymentSigner = Readonly<{ keyId: string; sign: (bytes: Uint8Array) => string }>;

/** The deployment's anchor key (store/chain/anchorKey.ts), as the signer of bundle manifests. */
export const deploymentSigner = async (events: EventStore, masterKey: Buffer): Promise<DeploymentSigner> => {
  const key = await loadOrCreateAnchorKey(events, masterKey);
  return { keyId: key.keyId, sign: (bytes) => bytesToHex(ed25519.sign(bytes, key.secretKey)) };
};
