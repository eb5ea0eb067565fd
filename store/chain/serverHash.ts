// The server's own hashing of the chain and the anchors, with node:crypto's one-shot `hash` (OpenSSL's SHA-256: about
// 3x faster than @noble/hashes per small input here), and the bytes of an anchor's leaves and of an AuditAnchor's
// data built directly (the generic canonical encoder and the leaf checks cost more than the hashing): docs/audit.md
// "Defaults and their cost". The bytes are the SDK's (sdk/src/audit/chain.ts chainEncoding, anchor.ts headLeafBytes
// and anchorSigningBytes) and the tree is RFC 6962's as sdk/src/audit/merkle.ts builds it, so an auditor's SDK
// computes the same hashes: serverHash.test.ts checks both against each other on arbitrary input.
import { createPrivateKey, hash, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ANCHOR_FORMAT_V2, ANCHOR_TAG, AnchorFormatError, anchorSigningBytes, HEAD_TAG } from '../../sdk/src/audit/anchor.js';
import type { AnchorDataV2, AnchorFormat, AnchorInput, AnchoredHead } from '../../sdk/src/audit/anchor.js';
import { checkHead, DECIMAL } from '../../sdk/src/audit/anchorFormat.js';
import { sharedPrefixLength } from '../../sdk/src/audit/anchorHeads.js';
import { canonicalJson, CHAIN_KEY, chainEncoding, ENCODING_TAG } from '../../sdk/src/audit/chain.js';
import type { ChainLink, HashableEvent } from '../../sdk/src/audit/chain.js';
import type { AnchorSigningKey } from './anchorKey';

const isString = (v: unknown): v is string => typeof v === 'string';

/** canonicalJson of an array of strings: what JSON.stringify writes. Undefined when it holds anything else. */
const stringsJson = (value: unknown): string | undefined => {
  if (!Array.isArray(value)) return undefined;
  for (const v of value) if (typeof v !== 'string') return undefined;
  return JSON.stringify(value);
};

/**
 * canonicalJson of an AuditAnchor's data (its members in key order, a version 1 anchor's heads' too), or undefined
 * when the data is not exactly an anchor's shape (then the generic encoder does it).
 */
const anchorDataJson = (data: unknown): string | undefined => {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const a = data as Record<string, unknown>;
  if (typeof a.size !== 'number' || !Number.isFinite(a.size) || ![a.at, a.keyId, a.prev, a.root, a.sequence, a.signature, a.upTo].every(isString)) return undefined;
  const s = JSON.stringify;
  // The members every version has, in key order, with the others' encoded members where they sort.
  const withMembers = (afterAt: string, afterSize: string): string =>
    `{"at":${s(a.at)}${afterAt},"keyId":${s(a.keyId)},"prev":${s(a.prev)},"root":${s(a.root)},"sequence":${s(a.sequence)},"signature":${s(a.signature)},"size":${s(a.size)}${afterSize},"upTo":${s(a.upTo)}}`;
  // Version 2: twelve members, each of them one of the twelve it has: exactly those. Its stream list is one array
  // of strings, cheap to encode (docs/audit.md "Defaults and their cost").
  if (a.format !== undefined) {
    if (Object.keys(a).length !== 12 || a.format !== ANCHOR_FORMAT_V2 || !isString(a.hashes) || !isString(a.streamsSha256)) return undefined;
    const streams = stringsJson(a.streams);
    if (streams === undefined) return undefined;
    return withMembers(`,"format":${s(a.format)},"hashes":${s(a.hashes)}`, `,"streams":${streams},"streamsSha256":${s(a.streamsSha256)}`);
  }
  // Version 1: nine members, each of them one of the nine it has.
  if (Object.keys(a).length !== 9 || !Array.isArray(a.heads)) return undefined;
  const heads: { hash: string; revision: string; stream: string }[] = [];
  for (const h of a.heads as unknown[]) {
    if (h === null || typeof h !== 'object' || Array.isArray(h)) return undefined;
    const head = h as Record<string, unknown>;
    if (!isString(head.hash) || !isString(head.revision) || !isString(head.stream) || Object.keys(head).length !== 3) return undefined;
    // Members in key order: JSON.stringify then writes the canonical form.
    heads.push({ hash: head.hash, revision: head.revision, stream: head.stream });
  }
  return withMembers(`,"heads":${s(heads)}`, '');
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

/** SHA-256(0x00 || headLeafBytes(head)) of a version 1 anchor: the prefix as the string's first character, U+0000 (one byte in UTF-8). */
const leafHash = (head: AnchoredHead): Buffer => hash('sha256', `\u0000${HEAD_TAG}\n${JSON.stringify(head.stream)}\n${head.revision}\n${head.hash}`, 'buffer');

/**
 * Where the tree is hashed: `n` leaf hashes back to back from byte 1 (byte 0 is spare), and a view of the 65 bytes
 * each pair of the first level starts at (minus one), made once: a view per node hashed cost more than the hash's
 * own work here. One per process, grown on demand; serverSignAnchor is synchronous, so it is never shared.
 */
let scratch = { tree: Buffer.allocUnsafeSlow(1), pairs: [] as Uint8Array[] };
const scratchFor = (n: number): { tree: Buffer; pairs: Uint8Array[] } => {
  if (scratch.tree.length < 1 + 32 * n) {
    const capacity = Math.max(n, 2 * (scratch.tree.length >> 5), 1024);
    const tree = Buffer.allocUnsafeSlow(1 + 32 * capacity);
    const pairs = Array.from({ length: capacity >> 1 }, (_, p) => new Uint8Array(tree.buffer, tree.byteOffset + 64 * p, 65));
    scratch = { tree, pairs };
  }
  return scratch;
};

/**
 * RFC 6962's tree hash over the `n` leaf hashes in `scratch.tree`, computed in place, hex. Bottom up: each level hashes
 * its pairs left to right and carries a last odd node up unchanged, which is the same tree as RFC 6962's split at
 * the largest power of two (sdk/src/audit/merkle.ts; serverHash.test.ts). The byte before a pair is the last byte of
 * the pair before, already hashed: it takes the 0x01 prefix, so each node is one hash over a view of the buffer, its
 * 32 bytes written over the level's front (what is read is never overwritten first).
 */
const rootInPlace = ({ tree, pairs: views }: { tree: Buffer; pairs: Uint8Array[] }, n: number): string => {
  if (n === 0) return hash('sha256', '', 'hex');
  for (let m = n; m > 1; ) {
    const pairs = m >> 1;
    for (let p = 0; p < pairs; p++) {
      tree[64 * p] = 0x01;
      tree.write(hash('sha256', views[p] as Uint8Array, 'binary'), 1 + 32 * p, 'latin1');
    }
    if (m & 1) tree.copy(tree, 1 + 32 * pairs, 1 + 32 * (m - 1), 1 + 32 * m);
    m = pairs + (m & 1);
  }
  return tree.toString('hex', 1, 33);
};

/** The SDK's headsRoot: RFC 6962's tree hash over the heads' leaves (of an anchor of `format`), in the order given. */
export const serverHeadsRoot = (heads: readonly AnchoredHead[], format: AnchorFormat = ANCHOR_TAG): string => {
  const at = scratchFor(heads.length);
  heads.forEach((head, i) => {
    if (format === ANCHOR_TAG) leafHash(head).copy(at.tree, 1 + 32 * i);
    else writeHash(at.tree, head, i);
  });
  return rootInPlace(at, heads.length);
};

/** Head i's chain hash into `tree` as leaf i (version 2: the leaf is the hash). */
const writeHash = (tree: Buffer, head: AnchoredHead, i: number): void => {
  if (head.hash.length !== 64 || tree.write(head.hash, 1 + 32 * i, 'hex') !== 32) throw new AnchorFormatError(`heads[${i}].hash`, '64 lowercase hex digits');
};

/** The Ed25519 key as node:crypto holds it, made once per secret key (PKCS #8 of the 32-byte seed, RFC 8410). */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const privateKeys = new WeakMap<Uint8Array, KeyObject>();
const privateKeyOf = (secretKey: Uint8Array): KeyObject => {
  let key = privateKeys.get(secretKey);
  if (!key) {
    key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretKey]), format: 'der', type: 'pkcs8' });
    privateKeys.set(secretKey, key);
  }
  return key;
};

/**
 * Ed25519 with OpenSSL (about 20x faster than @noble/curves here). RFC 8032 signatures are deterministic: the same
 * bytes as the SDK's ed25519.sign (serverHash.test.ts checks it).
 */
export const serverSign = (bytes: Uint8Array, secretKey: Uint8Array): string => sign(null, bytes, privateKeyOf(secretKey)).toString('hex');

const byStream = (a: AnchoredHead, b: AnchoredHead): number => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0);

/**
 * The SDK's signAnchor (same anchor, byte for byte: version 2), built directly: the heads sorted once, each head's
 * hash written as its leaf into one buffer (its base64 is `hashes`), the tree hashed in that buffer, the stream ids
 * front-coded (sdk/src/audit/anchorHeads.ts), signed with node:crypto.
 */
export const serverSignAnchor = (input: AnchorInput, key: AnchorSigningKey): AnchorDataV2 => {
  const heads = [...input.heads].sort(byStream);
  const n = heads.length;
  const streams = new Array<string>(n);
  const hexes = new Array<string>(n);
  let before = '';
  for (let i = 0; i < n; i++) {
    const head = heads[i] as AnchoredHead;
    if (i > 0 && head.stream === before) throw new AnchorFormatError(`heads[${i}].stream`, `each stream once (${head.stream} is listed twice)`);
    if (head.stream.length === 0 || head.hash.length !== 64 || !DECIMAL.test(head.revision)) checkHead(head, `heads[${i}]`);
    hexes[i] = head.hash;
    const shared = i === 0 ? 0 : sharedPrefixLength(before, head.stream);
    streams[i] = `${head.revision} ${shared} ${head.stream.slice(shared)}`;
    before = head.stream;
  }
  // All the leaves parsed in one call (a regex per hash costs more than the rest of its head): hex parsing stops at
  // the first character that is not hex, so a short count names a bad hash (found by the SDK's check). Upper case
  // hex is read as the same bytes; `audit verify --log` names such a link malformed where it stands.
  const at = scratchFor(n);
  if (n > 0 && at.tree.write(hexes.join(''), 1, 'hex') !== 32 * n) heads.forEach((head, i) => checkHead(head, `heads[${i}]`));
  const hashes = at.tree.toString('base64', 1, 1 + 32 * n);
  const header = {
    format: ANCHOR_FORMAT_V2,
    sequence: input.sequence.toString(10),
    prev: input.prev,
    root: rootInPlace(at, n),
    size: n,
    upTo: input.upTo,
    at: input.at.toISOString(),
    keyId: key.keyId,
    streamsSha256: hash('sha256', JSON.stringify(streams), 'hex'),
  } as const;
  return { ...header, signature: serverSign(anchorSigningBytes(header), key.secretKey), streams, hashes };
};
