// Signed anchors (docs/audit.md, "Anchors", byte for byte): every so often the deployment signs, with its Ed25519
// key, the Merkle root of the stream heads that changed since its previous anchor, and chains each anchor to the one
// before. Pure: @noble only (no `node:` import), so the SDK checks anchors and proofs in a browser too.
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { canonicalJson, GENESIS_HASH } from './chain.js';
import { AnchorFormatError, check, checkHead, DECIMAL, HEX64 } from './anchorFormat.js';
import type { AnchoredHead } from './anchorFormat.js';
import { decodeAnchorHeads, encodeAnchorHeads } from './anchorHeads.js';
import { equalBytes, merkleInclusionProof, merkleLeafHash, merkleRoot, merkleRootFromInclusionProof } from './merkle.js';

export { AnchorFormatError } from './anchorFormat.js';
export type { AnchoredHead } from './anchorFormat.js';
export { decodeAnchorHeads, encodeAnchorHeads } from './anchorHeads.js';

/** The first line of a head's leaf encoding in a version 1 anchor. */
export const HEAD_TAG = 'hookbase-head/1';
/** The first line of a version 1 anchor's signed encoding (anchors without a `format` member). */
export const ANCHOR_TAG = 'hookbase-anchor/1';
/**
 * Version 2 (what Hookbase writes now): its `format` member and the first line of its signed encoding. A head's leaf
 * is its chain hash itself, and the heads are stored compactly (`streams`, `hashes`): docs/audit.md, "Anchors".
 */
export const ANCHOR_FORMAT_V2 = 'hookbase-anchor/2';
/** An anchor's version, named by the first line of its signed encoding. */
export type AnchorFormat = typeof ANCHOR_TAG | typeof ANCHOR_FORMAT_V2;
/** The `prev` of the first anchor (sequence 0). */
export const ANCHOR_GENESIS_HASH = GENESIS_HASH;

/** What an anchor's signature covers (`anchorSigningBytes`). */
export type AnchorHeader = Readonly<{
  /** `hookbase-anchor/2`; absent in a version 1 anchor. */
  format?: typeof ANCHOR_FORMAT_V2;
  /** The anchor's number in the anchor chain, decimal, 0 for the first (its revision in the anchors stream). */
  sequence: string;
  /** `anchorHash` of the anchor before it, or ANCHOR_GENESIS_HASH for sequence 0. */
  prev: string;
  /** Merkle root (64 hex digits) over the heads' leaf hashes, in the heads' order (a leaf per version: `headLeafHash`). */
  root: string;
  /** How many heads (leaves). */
  size: number;
  /** The `$all` position (`commit/prepare`, decimal) of the last event this anchor covers. */
  upTo: string;
  /** When it was signed: ISO 8601 UTC with milliseconds (`Date.prototype.toISOString`). */
  at: string;
  /** `keyIdOf` the public key that verifies it. */
  keyId: string;
  /** Version 2: SHA-256 (hex) of the canonical JSON of its `streams` (`streamsSha256Of`), so the names it lists are signed too. */
  streamsSha256?: string;
}>;

/** A header and its Ed25519 signature (128 hex digits) over `anchorSigningBytes(header)`. */
export type SignedAnchor = AnchorHeader & Readonly<{ signature: string }>;

/** A version 1 anchor as the log stores it: the signed header and the heads it pins, one object each. */
export type AnchorDataV1 = SignedAnchor & Readonly<{ format?: undefined; heads: readonly AnchoredHead[] }>;

/**
 * A version 2 anchor as the log stores it: the signed header and the heads it pins, compactly (`encodeAnchorHeads`).
 * `streams[i]` is head i's revision, how many leading UTF-16 code units its stream id shares with head i-1's, and the
 * rest of its stream id, joined by single spaces; `hashes` is base64 of the heads' 32-byte chain hashes, in order.
 */
export type AnchorDataV2 = SignedAnchor & Readonly<{ format: typeof ANCHOR_FORMAT_V2; streamsSha256: string; streams: readonly string[]; hashes: string }>;

/** An anchor as the log stores it (the `AuditAnchor` event's data): the signed header and the heads it pins. */
export type AnchorData = AnchorDataV1 | AnchorDataV2;

/** Proof that one head is a leaf of an anchor's tree: RFC 9162's audit path, hex. */
export type HeadInclusionProof = Readonly<{ index: number; size: number; path: readonly string[] }>;

const HEX128 = /^[0-9a-f]{128}$/;
const KEY_ID = /^[0-9a-f]{32}$/;
const POSITION = /^(0|[1-9][0-9]*)\/(0|[1-9][0-9]*)$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The bytes of a head's leaf (before RFC 6962's 0x00 prefix): four lines joined by "\n", UTF-8. */
export const headLeafBytes = (head: AnchoredHead): Uint8Array => {
  checkHead(head);
  return utf8ToBytes([HEAD_TAG, JSON.stringify(head.stream), head.revision, head.hash].join('\n'));
};

/**
 * A head's leaf hash in the Merkle tree of an anchor of `format`. Version 1: SHA-256(0x00 || headLeafBytes(head)).
 * Version 2: the 32 bytes of the head's chain hash itself, which already commits to its stream id and revision (lines
 * 2 and 3 of the event's chain encoding) and cannot pass for an interior node: it is SHA-256 of bytes beginning
 * `hookbase-chain/1` (0x68), a node SHA-256 of bytes beginning 0x01, so one would be a SHA-256 collision.
 */
export const headLeafHash = (head: AnchoredHead, format: AnchorFormat = ANCHOR_TAG): Uint8Array => {
  if (format === ANCHOR_TAG) return merkleLeafHash(headLeafBytes(head));
  checkHead(head);
  return hexToBytes(head.hash);
};

/** The leaf hashes of an anchor's heads, in their order. */
export const headLeafHashes = (heads: readonly AnchoredHead[], format: AnchorFormat = ANCHOR_TAG): Uint8Array[] => heads.map((h) => headLeafHash(h, format));

/**
 * The order of an anchor's heads: by stream id, comparing UTF-16 code units (JavaScript's `<`), each stream once.
 * Returns a sorted copy; throws on a stream listed twice.
 */
export const sortHeads = (heads: readonly AnchoredHead[]): AnchoredHead[] => {
  const sorted = [...heads].sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
  sorted.forEach((head, i) => check(i === 0 || sorted[i - 1]?.stream !== head.stream, `heads[${i}].stream`, `each stream once (${head.stream} is listed twice)`));
  return sorted;
};

/**
 * The Merkle root (64 hex digits) over heads in the order given (an anchor's heads are in `sortHeads` order), with
 * the leaves of an anchor of `format` (version 1 unless said).
 */
export const headsRoot = (heads: readonly AnchoredHead[], format: AnchorFormat = ANCHOR_TAG): string => bytesToHex(merkleRoot(headLeafHashes(heads, format)));

/** The audit path of `stream`'s head among an anchor's heads (in their stored order); null when it is not there. */
export const headInclusionProof = (heads: readonly AnchoredHead[], stream: string, format: AnchorFormat = ANCHOR_TAG): HeadInclusionProof | null => {
  const index = heads.findIndex((h) => h.stream === stream);
  if (index < 0) return null;
  return { index, size: heads.length, path: merkleInclusionProof(headLeafHashes(heads, format), index).map((p) => bytesToHex(p)) };
};

/**
 * Whether `proof` shows `head` is a leaf of the tree whose root is `root` (an anchor's of `format`, once its signature
 * is checked; its `size` is the proof's to match).
 */
export const verifyHeadInclusion = (head: AnchoredHead, proof: HeadInclusionProof, root: string, format: AnchorFormat = ANCHOR_TAG): boolean => {
  if (!HEX64.test(root) || !proof.path.every((p) => HEX64.test(p))) return false;
  let leaf: Uint8Array;
  try {
    leaf = headLeafHash(head, format);
  } catch {
    return false;
  }
  const computed = merkleRootFromInclusionProof(leaf, proof.index, proof.size, proof.path.map((p) => hexToBytes(p)));
  return computed !== null && equalBytes(computed, hexToBytes(root));
};

/** The version of an anchor: version 1 has no `format` member. Throws AnchorFormatError for any other `format`. */
export const anchorFormatOf = (header: Pick<AnchorHeader, 'format'>): AnchorFormat => {
  const format: unknown = header.format;
  if (format === undefined) return ANCHOR_TAG;
  check(format === ANCHOR_FORMAT_V2, 'format', `"${ANCHOR_FORMAT_V2}", or absent (version 1)`);
  return ANCHOR_FORMAT_V2;
};

const checkHeader = (header: AnchorHeader): void => {
  const format = anchorFormatOf(header);
  if (format === ANCHOR_TAG) check(header.streamsSha256 === undefined, 'streamsSha256', 'absent in a version 1 anchor');
  else check(typeof header.streamsSha256 === 'string' && HEX64.test(header.streamsSha256), 'streamsSha256', '64 lowercase hex digits');
  check(typeof header.sequence === 'string' && DECIMAL.test(header.sequence), 'sequence', 'a decimal integer, no sign, no leading zeros');
  check(typeof header.prev === 'string' && HEX64.test(header.prev), 'prev', '64 lowercase hex digits');
  check(typeof header.root === 'string' && HEX64.test(header.root), 'root', '64 lowercase hex digits');
  check(Number.isSafeInteger(header.size) && header.size >= 0, 'size', 'a non-negative integer');
  check(typeof header.upTo === 'string' && POSITION.test(header.upTo), 'upTo', 'a position: two decimal integers joined by "/"');
  check(typeof header.at === 'string' && ISO_UTC.test(header.at), 'at', 'an ISO 8601 UTC time with milliseconds (YYYY-MM-DDTHH:MM:SS.mmmZ)');
  check(typeof header.keyId === 'string' && KEY_ID.test(header.keyId), 'keyId', '32 lowercase hex digits');
};

/**
 * The exact text signed, lines joined by "\n" (no final newline): the version (`hookbase-anchor/1` or `/2`),
 * sequence, prev, root, size, upTo, at, keyId, and for version 2 streamsSha256. Every field is checked first.
 */
export const anchorSigningText = (header: AnchorHeader): string => {
  checkHeader(header);
  const lines = [anchorFormatOf(header), header.sequence, header.prev, header.root, String(header.size), header.upTo, header.at, header.keyId];
  if (header.format === ANCHOR_FORMAT_V2) lines.push(header.streamsSha256 ?? '');
  return lines.join('\n');
};

/** The exact bytes signed (UTF-8 of `anchorSigningText`). */
export const anchorSigningBytes = (header: AnchorHeader): Uint8Array => utf8ToBytes(anchorSigningText(header));

/** SHA-256 of the signed bytes, 64 hex digits: what the next anchor's `prev` holds. */
export const anchorHash = (header: AnchorHeader): string => bytesToHex(sha256(anchorSigningBytes(header)));

/** The header fields of an anchor (what `anchorHash` and the signature cover), without the signature and heads. */
export const anchorHeaderOf = (anchor: AnchorHeader): AnchorHeader => ({
  ...(anchor.format === undefined ? {} : { format: anchor.format }),
  sequence: anchor.sequence,
  prev: anchor.prev,
  root: anchor.root,
  size: anchor.size,
  upTo: anchor.upTo,
  at: anchor.at,
  keyId: anchor.keyId,
  ...(anchor.streamsSha256 === undefined ? {} : { streamsSha256: anchor.streamsSha256 }),
});

/** SHA-256 (hex) of the canonical JSON of a version 2 anchor's `streams`: what its `streamsSha256` signs. */
export const streamsSha256Of = (streams: readonly string[]): string => bytesToHex(sha256(utf8ToBytes(canonicalJson(streams))));

/** The heads an anchor pins (version 1: as listed; version 2: decoded). Throws AnchorFormatError when malformed. */
export const anchorHeadsOf = (anchor: AnchorData): AnchoredHead[] => {
  if (anchorFormatOf(anchor) === ANCHOR_TAG) {
    const { heads } = anchor as AnchorDataV1;
    check(Array.isArray(heads), 'heads', 'an array of {stream, revision, hash}');
    heads.forEach((h, i) => checkHead(h, `heads[${i}]`));
    return [...heads];
  }
  const v2 = anchor as AnchorDataV2;
  check(Number.isSafeInteger(v2.size) && v2.size >= 0, 'size', 'a non-negative integer');
  return decodeAnchorHeads(v2, v2.size);
};

// ---- Keys ----

/** A new Ed25519 key pair (32-byte secret seed, 32-byte public key), from the platform's secure random source. */
export const generateAnchorKeyPair = (): { secretKey: Uint8Array; publicKey: Uint8Array } => {
  const secretKey = ed25519.utils.randomSecretKey();
  return { secretKey, publicKey: ed25519.getPublicKey(secretKey) };
};

/** The public key of a 32-byte secret key. */
export const anchorPublicKey = (secretKey: Uint8Array): Uint8Array => ed25519.getPublicKey(secretKey);

/** The key id: the first 16 bytes of SHA-256 over the 32 raw public key bytes, 32 hex digits. */
export const keyIdOf = (publicKey: Uint8Array): string => {
  check(publicKey.length === 32, 'publicKey', '32 bytes (a raw Ed25519 public key)');
  return bytesToHex(sha256(publicKey).subarray(0, 16));
};

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 section 4): the 32 key bytes follow. */
const SPKI_PREFIX = hexToBytes('302a300506032b6570032100');

const toBase64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string): Uint8Array => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** The public key as PEM (SubjectPublicKeyInfo), what `openssl pkeyutl -verify` reads. */
export const publicKeyPem = (publicKey: Uint8Array): string => {
  check(publicKey.length === 32, 'publicKey', '32 bytes (a raw Ed25519 public key)');
  const der = new Uint8Array(SPKI_PREFIX.length + 32);
  der.set(SPKI_PREFIX);
  der.set(publicKey, SPKI_PREFIX.length);
  return `-----BEGIN PUBLIC KEY-----\n${toBase64(der)}\n-----END PUBLIC KEY-----\n`;
};

/**
 * A public key from text: 64 hex digits (what `GET /v1/audit/public-key` and `hookbase audit key` print as
 * `publicKey`), the same 32 bytes in base64, or a PEM SubjectPublicKeyInfo. Throws AnchorFormatError otherwise.
 */
export const parsePublicKey = (text: string): Uint8Array => {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return hexToBytes(trimmed.toLowerCase());
  const pem = /^-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----$/.exec(trimmed);
  const base64 = pem ? (pem[1] ?? '').replace(/\s+/g, '') : trimmed;
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
    const bytes = fromBase64(base64);
    if (!pem && bytes.length === 32) return bytes;
    if (bytes.length === SPKI_PREFIX.length + 32 && equalBytes(bytes.subarray(0, SPKI_PREFIX.length), SPKI_PREFIX)) return bytes.slice(SPKI_PREFIX.length);
  }
  throw new AnchorFormatError('publicKey', 'an Ed25519 public key: 64 hex digits, 32 bytes in base64, or a PEM SubjectPublicKeyInfo');
};

// ---- Signing and verifying ----

export type AnchorInput = Readonly<{
  sequence: bigint;
  /** `anchorHash` of the previous anchor; ANCHOR_GENESIS_HASH for the first. */
  prev: string;
  heads: readonly AnchoredHead[];
  upTo: string;
  at: Date;
}>;

/**
 * Builds and signs an anchor over `heads` (sorted here) with a 32-byte Ed25519 secret key: version 2 (what Hookbase
 * writes), or version 1 when asked (as anchors were written before it).
 */
export function signAnchor(input: AnchorInput, secretKey: Uint8Array, format?: typeof ANCHOR_FORMAT_V2): AnchorDataV2;
export function signAnchor(input: AnchorInput, secretKey: Uint8Array, format: typeof ANCHOR_TAG): AnchorDataV1;
export function signAnchor(input: AnchorInput, secretKey: Uint8Array, format?: AnchorFormat): AnchorData;
export function signAnchor(input: AnchorInput, secretKey: Uint8Array, format: AnchorFormat = ANCHOR_FORMAT_V2): AnchorData {
  const heads = sortHeads(input.heads);
  const fields = {
    sequence: input.sequence.toString(10),
    prev: input.prev,
    root: headsRoot(heads, format),
    size: heads.length,
    upTo: input.upTo,
    at: input.at.toISOString(),
    keyId: keyIdOf(anchorPublicKey(secretKey)),
  };
  const sign = (header: AnchorHeader): string => bytesToHex(ed25519.sign(anchorSigningBytes(header), secretKey));
  if (format === ANCHOR_TAG) return { ...fields, signature: sign(fields), heads };
  const { streams, hashes } = encodeAnchorHeads(heads);
  const header = { format: ANCHOR_FORMAT_V2, ...fields, streamsSha256: streamsSha256Of(streams) } as const;
  return { ...header, signature: sign(header), streams, hashes };
}

/**
 * Whether the signature of `anchor` verifies against `publicKey` (strict RFC 8032 verification, not ZIP-215, so that
 * other Ed25519 implementations such as OpenSSL agree). False, not a throw, for a malformed anchor.
 */
export const verifyAnchorSignature = (anchor: SignedAnchor, publicKey: Uint8Array): boolean => {
  if (typeof anchor.signature !== 'string' || !HEX128.test(anchor.signature)) return false;
  try {
    return ed25519.verify(hexToBytes(anchor.signature), anchorSigningBytes(anchorHeaderOf(anchor)), publicKey, { zip215: false });
  } catch {
    return false;
  }
};

/** Why an anchor does not verify on its own (its place in the anchor chain is the caller's to check). */
export type AnchorProblem = Readonly<{
  reason: 'malformed' | 'key' | 'signature' | 'heads' | 'root';
  message: string;
  /** For `root`: the root recomputed over the heads; for `key`: the key id of the public key given. */
  expected?: string;
  /** For `root`: the root the anchor carries; for `key`: the key id it names. */
  found?: string;
}>;

/**
 * Checks one anchor: its format, that it names the key given, its signature, that its heads are in order with each
 * stream once, that they hash to its root (and number `size`) and, version 2, that its stream list is the one signed
 * (`streamsSha256`). Null when all hold.
 */
export const verifyAnchor = (anchor: AnchorData, publicKey: Uint8Array): AnchorProblem | null => {
  let heads: AnchoredHead[];
  let format: AnchorFormat;
  try {
    checkHeader(anchorHeaderOf(anchor));
    format = anchorFormatOf(anchor);
    heads = anchorHeadsOf(anchor);
  } catch (error) {
    if (error instanceof AnchorFormatError) return { reason: 'malformed', message: error.message };
    throw error;
  }
  const keyId = keyIdOf(publicKey);
  if (anchor.keyId !== keyId) return { reason: 'key', message: `it names key ${anchor.keyId}, not the key given (${keyId})`, expected: keyId, found: anchor.keyId };
  if (!verifyAnchorSignature(anchor, publicKey)) return { reason: 'signature', message: `its signature does not verify against key ${keyId}` };
  for (let i = 1; i < heads.length; i++) {
    if (!((heads[i - 1]?.stream ?? '') < (heads[i]?.stream ?? ''))) return { reason: 'heads', message: `its heads are not in stream order with each stream once (at heads[${i}])` };
  }
  if (format === ANCHOR_FORMAT_V2) {
    const digest = streamsSha256Of((anchor as AnchorDataV2).streams);
    if (digest !== anchor.streamsSha256) return { reason: 'root', message: `its stream list hashes to ${digest}, it signs ${String(anchor.streamsSha256)}`, expected: digest, found: anchor.streamsSha256 };
  }
  const root = headsRoot(heads, format);
  if (root !== anchor.root || anchor.size !== heads.length) {
    return { reason: 'root', message: `its ${heads.length} heads hash to root ${root}, it signs ${anchor.root} over ${anchor.size}`, expected: root, found: anchor.root };
  }
  return null;
};
