// The anchor part of a receipt or a bundle (docs/audit.md, "Receipts and bundles"): signed anchors, and for each
// stream the head an anchor pins with its inclusion proof in that anchor's Merkle tree. The anchor format, its
// signature and the proofs are the anchors library's (./anchor.ts); this module checks that they pin the chains a
// receipt or bundle carries. Pure: no `node:` import.
import type { AnchoredHead, HeadInclusionProof, SignedAnchor } from './anchor.js';
import { anchorFormatOf, anchorHash, verifyAnchorSignature, verifyHeadInclusion } from './anchor.js';
import type { Problem } from './streams.js';

/** Proof that one stream's head, at one revision, is pinned by the anchor of sequence `anchor`. */
export type HeadProof = Readonly<{ anchor: string; head: AnchoredHead; proof: HeadInclusionProof }>;

export type Anchoring = Readonly<{
  /** The signed anchors the proofs lead to (their headers, `format` included, and signatures, not their lists of heads), by sequence. */
  anchors: readonly SignedAnchor[];
  /** At most one per stream: the latest anchored head of that stream at the time of the export. */
  proofs: readonly HeadProof[];
}>;

export type AnchoringCheck = Readonly<{
  /** Per stream: the revision up to which its chain is pinned by a verified anchor. */
  anchoredUpTo: Map<string, bigint>;
  problems: Problem[];
}>;

/**
 * Checks each anchor's signature against `publicKey`, that consecutive anchors chain (`prev` is the hash of the one
 * before), and that each proof leads from the hash the carried chain has at the head's revision to its anchor's root.
 * `hashAt(stream, revision)` is that hash, or undefined when the chain is not carried that far (or is broken).
 */
export const checkAnchoring = (anchoring: Anchoring, publicKey: Uint8Array, hashAt: (stream: string, revision: bigint) => string | undefined, where: string): AnchoringCheck => {
  const problems: Problem[] = [];
  const anchoredUpTo = new Map<string, bigint>();
  const verified = new Map<string, SignedAnchor>();
  if (!Array.isArray(anchoring?.anchors) || !Array.isArray(anchoring.proofs)) {
    problems.push({ at: where, reason: 'format', message: `${where} is not {anchors: [], proofs: []}.` });
    return { anchoredUpTo, problems };
  }
  // Each check names what is wrong and goes on: a malformed anchor or proof is a problem, never a throw.
  const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
  anchoring.anchors.forEach((anchor, i) => {
    const at = `${where}.anchors[${i}] (sequence ${String(anchor?.sequence)})`;
    try {
      if (!verifyAnchorSignature(anchor, publicKey)) {
        problems.push({ at, reason: 'signature', message: `${at}: its signature does not verify with the public key (forged, edited, or signed with another key).` });
        return;
      }
      const before = i > 0 ? anchoring.anchors[i - 1] : undefined;
      if (before && BigInt(before.sequence) + 1n === BigInt(anchor.sequence) && anchorHash(before) !== anchor.prev) {
        problems.push({ at, reason: 'anchor', message: `${at}: its previous-anchor hash is not the hash of anchor ${before.sequence} before it.` });
        return;
      }
      verified.set(anchor.sequence, anchor);
    } catch (error) {
      problems.push({ at, reason: 'format', message: `${at}: ${reasonOf(error)}` });
    }
  });
  anchoring.proofs.forEach((p, i) => {
    const at = `${where}.proofs[${i}] (${String(p?.head?.stream)}, revision ${String(p?.head?.revision)})`;
    try {
      const anchor = verified.get(p?.anchor);
      if (!anchor) {
        problems.push({ at, reason: 'proof', message: `${at}: anchor ${String(p?.anchor)} is not among the verified anchors carried.` });
        return;
      }
      const revision = BigInt(p.head.revision);
      const carried = hashAt(p.head.stream, revision);
      if (carried !== p.head.hash) {
        problems.push({ at, reason: 'proof', message: `${at}: the anchored hash ${p.head.hash} is not the hash ${carried ?? '(not carried)'} of the carried chain at that revision.` });
        return;
      }
      // The tree's size is the signed one (RFC 9162 2.1.3.2: a path alone does not always fix it).
      if (p.proof?.size !== anchor.size || !verifyHeadInclusion(p.head, p.proof, anchor.root, anchorFormatOf(anchor))) {
        problems.push({ at, reason: 'proof', message: `${at}: its inclusion proof does not lead to the root of anchor ${anchor.sequence}.` });
        return;
      }
      const previous = anchoredUpTo.get(p.head.stream);
      if (previous === undefined || revision > previous) anchoredUpTo.set(p.head.stream, revision);
    } catch (error) {
      problems.push({ at, reason: 'format', message: `${at}: ${reasonOf(error)}` });
    }
  });
  return { anchoredUpTo, problems };
};
