// A Merkle tree hash with the leaf and node encodings of RFC 6962 section 2.1 (as restated by RFC 9162 section 2.1):
// a leaf hash is SHA-256(0x00 || leaf), a node hash SHA-256(0x01 || left || right), so that no leaf can pass for an
// interior node (second-preimage resistance). The inclusion proof and its verification are RFC 9162 2.1.3.1 and
// 2.1.3.2. Pure: @noble/hashes only, so the SDK verifies proofs in a browser (docs/audit.md, "Anchors").
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** SHA-256(0x00 || leaf). */
export const merkleLeafHash = (leaf: Uint8Array): Uint8Array => sha256(concatBytes(LEAF_PREFIX, leaf));

/** SHA-256(0x01 || left || right). */
export const merkleNodeHash = (left: Uint8Array, right: Uint8Array): Uint8Array => sha256(concatBytes(NODE_PREFIX, left, right));

/** The largest power of two smaller than n (n > 1): where RFC 6962 splits a tree of n leaves. */
const splitPoint = (n: number): number => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};

/** The root over leaf hashes (each already `merkleLeafHash`ed), in their order. The empty tree is SHA-256 of nothing. */
export const merkleRoot = (leafHashes: readonly Uint8Array[]): Uint8Array => {
  if (leafHashes.length === 0) return sha256(new Uint8Array(0));
  const subtree = (from: number, to: number): Uint8Array => {
    if (to - from === 1) return leafHashes[from] as Uint8Array;
    const k = splitPoint(to - from);
    return merkleNodeHash(subtree(from, from + k), subtree(from + k, to));
  };
  return subtree(0, leafHashes.length);
};

/** The audit path of leaf `index` (RFC 6962 2.1.1 PATH(m, D[n])): sibling hashes from the leaf up to the root. */
export const merkleInclusionProof = (leafHashes: readonly Uint8Array[], index: number): Uint8Array[] => {
  if (!Number.isInteger(index) || index < 0 || index >= leafHashes.length) throw new RangeError(`Leaf ${index} is not in a tree of ${leafHashes.length} leaves.`);
  const path = (m: number, from: number, to: number): Uint8Array[] => {
    if (to - from === 1) return [];
    const k = splitPoint(to - from);
    return m < k ? [...path(m, from, from + k), merkleRoot(leafHashes.slice(from + k, to))] : [...path(m - k, from + k, to), merkleRoot(leafHashes.slice(from, from + k))];
  };
  return path(index, 0, leafHashes.length);
};

/**
 * The root that leaf `index` of a tree of `size` leaves, with hash `leafHash` and audit path `proof`, leads to
 * (RFC 9162 2.1.3.2), or null when the path cannot belong to such a leaf (wrong length or index out of range).
 * A proof verifies when this equals the signed root.
 */
export const merkleRootFromInclusionProof = (leafHash: Uint8Array, index: number, size: number, proof: readonly Uint8Array[]): Uint8Array | null => {
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = merkleNodeHash(p, r);
      // A right-most node with no sibling at this level: climb until it is a right child again.
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = merkleNodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
};

/** Whether `proof` leads from leaf `index` (hash `leafHash`) of a tree of `size` leaves to `root`. */
export const verifyMerkleInclusion = (leafHash: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): boolean => {
  const computed = merkleRootFromInclusionProof(leafHash, index, size, proof);
  return computed !== null && equalBytes(computed, root);
};

/** Byte equality (the values compared are public hashes: no constant time needed). */
export const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((byte, i) => byte === b[i]);
