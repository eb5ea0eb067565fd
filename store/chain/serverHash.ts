// The server's own hashing of the chain and the anchors, with node:crypto's one-shot `hash` (OpenSSL's SHA-256: about
// 3x faster than @noble/hashes per small input here), and the bytes of an anchor's leaves and of an AuditAnchor's
// data built directly (the generic canonical encoder and the leaf checks cost more than the hashing): docs/audit.md
// "Defaults and their cost". The bytes are the SDK's (sdk/src/audit/chain.ts chainEncoding, anchor.ts headLeafBytes
// and anchorSigningBytes) and the tree is RFC 6962's as sdk/src/audit/merkle.ts builds it, so an auditor's SDK
// computes the same hashes: serverHash.test.ts checks both against each other on arbitrary input.
import { hash } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { anchorSigningBytes, HEAD_TAG, sortHeads } from '../../sdk/src/audit/anchor.js';
import type { AnchorData, AnchorHeader, AnchorInput, AnchoredHead } from '../../sdk/src/audit/anchor.js';
import { canonicalJson, CHAIN_KEY, chainEncoding, ENCODING_TAG } from '../../sdk/src/audit/chain.js';
import type { ChainLink, HashableEvent } from '../../sdk/src/audit/chain.js';
import type { AnchorSigningKey } from './anchorKey';

const NODE_PREFIX = Buffer.of(0x01);

const isString = (v: unknown): v is string => typeof v === 'string';

/**
 * canonicalJson of an AuditAnchor's data (its members in key order, heads' too), or undefined when the data is not
 * exactly an anchor's shape (then the generic encoder does it).
 */
const anchorDataJson = (data: unknown): string | undefined => {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const a = data as Record<string, unknown>;
  // Nine members, each of them one of the nine an anchor has: exactly those.
  if (Object.keys(a).length !== 9 || !Array.isArray(a.heads) || typeof a.size !== 'number' || !Number.isFinite(a.size)) return undefined;
  if (![a.at, a.keyId, a.prev, a.root, a.sequence, a.signature, a.upTo].every(isString)) return undefined;
  const heads: { hash: string; revision: string; stream: string }[] = [];
  for (const h of a.heads as unknown[]) {
    if (h === null || typeof h !== 'object' || Array.isArray(h)) return undefined;
    const head = h as Record<string, unknown>;
    if (!isString(head.hash) || !isString(head.revision) || !isString(head.stream) || Object.keys(head).length !== 3) return undefined;
    // Members in key order: JSON.stringify then writes the canonical form.
    heads.push({ hash: head.hash, revision: head.revision, stream: head.stream });
  }
  const s = JSON.stringify;
  return `{"at":${s(a.at)},"heads":${s(heads)},"keyId":${s(a.keyId)},"prev":${s(a.prev)},"root":${s(a.root)},"sequence":${s(a.sequence)},"signature":${s(a.signature)},"size":${s(a.size)},"upTo":${s(a.upTo)}}`;
};

/** The SDK's chainEncoding, an anchor's data encoded directly. */
const encodingOf = (event: HashableEvent, prev: string): string => {
  const data = event.type === 'AuditAnchor' ? anchorDataJson(event.data) : undefined;
  if (data === undefined) return chainEncoding(event, prev);
  return [ENCODING_TAG, JSON.stringify(event.streamId), event.revision.toString(10), JSON.stringify(event.type), data, canonicalJson({ ...event.metadata, [CHAIN_KEY]: { prev } }), prev].join('\n');
};

/** SHA-256 of the event's chain encoding (the SDK's eventHash), 64 lowercase hex digits. */
export const serverEventHash = (event: HashableEvent, prev: string): string => hash('sha256', encodingOf(event, prev), 'hex');

/** The SDK's chainedMetadata, hashed with node:crypto. */
export const serverChainedMetadata = <M extends Readonly<Record<string, unknown>>>(event: HashableEvent & { metadata: M }, prev: string): M & { chain: ChainLink } => ({
  ...event.metadata,
  [CHAIN_KEY]: { prev, hash: serverEventHash(event, prev) },
});

/** SHA-256(0x00 || headLeafBytes(head)): the prefix as the string's first character, U+0000 (one byte in UTF-8). */
const leafHash = (head: AnchoredHead): Buffer => hash('sha256', `\u0000${HEAD_TAG}\n${JSON.stringify(head.stream)}\n${head.revision}\n${head.hash}`, 'buffer');
/** SHA-256(0x01 || left || right), through one buffer reused (hash copies its input's digest into a new one). */
const nodeInput = Buffer.alloc(65, NODE_PREFIX);
const nodeHash = (left: Buffer, right: Buffer): Buffer => {
  left.copy(nodeInput, 1);
  right.copy(nodeInput, 33);
  return hash('sha256', nodeInput, 'buffer');
};

/** The SDK's headsRoot: RFC 6962's tree hash over the heads' leaves, in the order given. */
export const serverHeadsRoot = (heads: readonly AnchoredHead[]): string => {
  if (heads.length === 0) return hash('sha256', '', 'hex');
  const leaves = heads.map(leafHash);
  // RFC 6962 2.1: split at the largest power of two smaller than the size.
  const subtree = (from: number, to: number): Buffer => {
    if (to - from === 1) return leaves[from] as Buffer;
    let k = 1;
    while (k * 2 < to - from) k *= 2;
    return nodeHash(subtree(from, from + k), subtree(from + k, to));
  };
  return subtree(0, leaves.length).toString('hex');
};

/** The SDK's signAnchor (same anchor, byte for byte), with the root hashed by node:crypto and the key id known. */
export const serverSignAnchor = (input: AnchorInput, key: AnchorSigningKey): AnchorData => {
  const heads = sortHeads(input.heads);
  const header: AnchorHeader = {
    sequence: input.sequence.toString(10),
    prev: input.prev,
    root: serverHeadsRoot(heads),
    size: heads.length,
    upTo: input.upTo,
    at: input.at.toISOString(),
    keyId: key.keyId,
  };
  const signature = Buffer.from(ed25519.sign(anchorSigningBytes(header), key.secretKey)).toString('hex');
  return { ...header, signature, heads };
};
