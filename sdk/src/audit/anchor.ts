// Signed anchors (docs/audit.md, "Anchors", byte for byte): every so often the deployment signs, with its Ed25519
// key, the Merkle root of the stream heads that changed since its previous anchor, and chains each anchor to the one
// before. Pure: @noble only (no `node:` import), so the SDK checks anchors and proofs in a browser too.
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { GENESIS_HASH } from './chain.js';
import { equalBytes, merkleInclusionProof, merkleLeafHash, merkleRoot, merkleRootFromInclusionProof } from './merkle.js';

/** The first line of a head's leaf encoding (its version). */
export const HEAD_TAG = 'hookbase-head/1';
/** The first line of an anchor's signed encoding (its version). */
export const ANCHOR_TAG = 'hookbase-anchor/1';
/** The `prev` of the first anchor (sequence 0). */
export const ANCHOR_GENESIS_HASH = GENESIS_HASH;

/** A stream's last event as an anchor pins it: the stream id, its revision (decimal) and its chain hash. */
export type AnchoredHead = Readonly<{ stream: string; revision: string; hash: string }>;

/** What an anchor's signature covers (`anchorSigningBytes`). */
export type AnchorHeader = Readonly<{
  /** The anchor's number in the anchor chain, decimal, 0 for the first (its revision in the anchors stream). */
  sequence: string;
  /** `anchorHash` of the anchor before it, or ANCHOR_GENESIS_HASH for sequence 0. */
  prev: string;
  /** Merkle root (64 hex digits) over the heads' leaf hashes, in the heads' order. */
  root: string;
  /** How many heads (leaves). */
  size: number;
  /** The `$all` position (`commit/prepare`, decimal) of the last event this anchor covers. */
  upTo: string;
  /** When it was signed: ISO 8601 UTC with milliseconds (`Date.prototype.toISOString`). */
  at: string;
  /** `keyIdOf` the public key that verifies it. */
  keyId: string;
}>;

/** A header and its Ed25519 signature (128 hex digits) over `anchorSigningBytes(header)`. */
export type SignedAnchor = AnchorHeader & Readonly<{ signature: string }>;

/** An anchor as the log stores it (the `AuditAnchor` event's data): the signed header and the heads it pins. */
export type AnchorData = SignedAnchor & Readonly<{ heads: readonly AnchoredHead[] }>;

/** Proof that one head is a leaf of an anchor's tree: RFC 9162's audit path, hex. */
export type HeadInclusionProof = Readonly<{ index: number; size: number; path: readonly string[] }>;

const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;
const KEY_ID = /^[0-9a-f]{32}$/;
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const POSITION = /^(0|[1-9][0-9]*)\/(0|[1-9][0-9]*)$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A field that breaks the encoding's rules, named. */
export class AnchorFormatError extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(`Anchor field ${field}: ${rule}.`);
    this.name = 'AnchorFormatError';
  }
}

const check = (ok: boolean, field: string, rule: string): void => {
  if (!ok) throw new AnchorFormatError(field, rule);
};

const checkHead = (head: AnchoredHead, field = 'head'): void => {
  check(typeof head.stream === 'string' && head.stream.length > 0, `${field}.stream`, 'a non-empty string');
  check(typeof head.revision === 'string' && DECIMAL.test(head.revision), `${field}.revision`, 'a decimal integer, no sign, no leading zeros');
  check(typeof head.hash === 'string' && HEX64.test(head.hash), `${field}.hash`, '64 lowercase hex digits');
};

/** The bytes of a head's leaf (before RFC 6962's 0x00 prefix): four lines joined by "\n", UTF-8. */
export const headLeafBytes = (head: AnchoredHead): Uint8Array => {
  checkHead(head);
  return utf8ToBytes([HEAD_TAG, JSON.stringify(head.stream), head.revision, head.hash].join('\n'));
};

/** SHA-256(0x00 || headLeafBytes(head)). */
export const headLeafHash = (head: AnchoredHead): Uint8Array => merkleLeafHash(headLeafBytes(head));

/**
 * The order of an anchor's heads: by stream id, comparing UTF-16 code units (JavaScript's `<`), each stream once.
 * Returns a sorted copy; throws on a stream listed twice.
 */
export const sortHeads = (heads: readonly AnchoredHead[]): AnchoredHead[] => {
  const sorted = [...heads].sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
  sorted.forEach((head, i) => check(i === 0 || sorted[i - 1]?.stream !== head.stream, `heads[${i}].stream`, `each stream once (${head.stream} is listed twice)`));
  return sorted;
};

/** The Merkle root (64 hex digits) over heads in the order given (an anchor's heads are in `sortHeads` order). */
export const headsRoot = (heads: readonly AnchoredHead[]): string => bytesToHex(merkleRoot(heads.map((h) => headLeafHash(h))));

/** The audit path of `stream`'s head among an anchor's heads (in their stored order); null when it is not there. */
export const headInclusionProof = (heads: readonly AnchoredHead[], stream: string): HeadInclusionProof | null => {
  const index = heads.findIndex((h) => h.stream === stream);
  if (index < 0) return null;
  return { index, size: heads.length, path: merkleInclusionProof(heads.map((h) => headLeafHash(h)), index).map((p) => bytesToHex(p)) };
};

/** Whether `proof` shows `head` is a leaf of the tree whose root is `root` (an anchor's, once its signature is checked). */
export const verifyHeadInclusion = (head: AnchoredHead, proof: HeadInclusionProof, root: string): boolean => {
  if (!HEX64.test(root) || !proof.path.every((p) => HEX64.test(p))) return false;
  let leaf: Uint8Array;
  try {
    leaf = headLeafHash(head);
  } catch {
    return false;
  }
  const computed = merkleRootFromInclusionProof(leaf, proof.index, proof.size, proof.path.map((p) => hexToBytes(p)));
  return computed !== null && equalBytes(computed, hexToBytes(root));
};

const checkHeader = (header: AnchorHeader): void => {
  check(typeof header.sequence === 'string' && DECIMAL.test(header.sequence), 'sequence', 'a decimal integer, no sign, no leading zeros');
  check(typeof header.prev === 'string' && HEX64.test(header.prev), 'prev', '64 lowercase hex digits');
  check(typeof header.root === 'string' && HEX64.test(header.root), 'root', '64 lowercase hex digits');
  check(Number.isSafeInteger(header.size) && header.size >= 0, 'size', 'a non-negative integer');
  check(typeof header.upTo === 'string' && POSITION.test(header.upTo), 'upTo', 'a position: two decimal integers joined by "/"');
  check(typeof header.at === 'string' && ISO_UTC.test(header.at), 'at', 'an ISO 8601 UTC time with milliseconds (YYYY-MM-DDTHH:MM:SS.mmmZ)');
  check(typeof header.keyId === 'string' && KEY_ID.test(header.keyId), 'keyId', '32 lowercase hex digits');
};

/** The exact text signed: eight lines joined by "\n" (no final newline). Every field is checked first. */
export const anchorSigningText = (header: AnchorHeader): string => {
  checkHeader(header);
  return [ANCHOR_TAG, header.sequence, header.prev, header.root, String(header.size), header.upTo, header.at, header.keyId].join('\n');
};

/** The exact bytes signed (UTF-8 of `anchorSigningText`). */
export const anchorSigningBytes = (header: AnchorHeader): Uint8Array => utf8ToBytes(anchorSigningText(header));

/** SHA-256 of the signed bytes, 64 hex digits: what the next anchor's `prev` holds. */
export const anchorHash = (header: AnchorHeader): string => bytesToHex(sha256(anchorSigningBytes(header)));

/** The header fields of an anchor (what `anchorHash` and the signature cover), without the signature and heads. */
export const anchorHeaderOf = (anchor: AnchorHeader): AnchorHeader => ({
  sequence: anchor.sequence,
  prev: anchor.prev,
  root: anchor.root,
  size: anchor.size,
  upTo: anchor.upTo,
  at: anchor.at,
  keyId: anchor.keyId,
});

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

/** Builds and signs an anchor over `heads` (sorted here) with a 32-byte Ed25519 secret key. */
export const signAnchor = (input: AnchorInput, secretKey: Uint8Array): AnchorData => {
  const heads = sortHeads(input.heads);
  const header: AnchorHeader = {
    sequence: input.sequence.toString(10),
    prev: input.prev,
    root: headsRoot(heads),
    size: heads.length,
    upTo: input.upTo,
    at: input.at.toISOString(),
    keyId: keyIdOf(anchorPublicKey(secretKey)),
  };
  const signature = bytesToHex(ed25519.sign(anchorSigningBytes(header), secretKey));
  return { ...header, signature, heads };
};

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
 * stream once, and that they hash to its root (and number `size`). Null when all hold.
 */
export const verifyAnchor = (anchor: AnchorData, publicKey: Uint8Array): AnchorProblem | null => {
  try {
    checkHeader(anchorHeaderOf(anchor));
    if (!Array.isArray(anchor.heads)) throw new AnchorFormatError('heads', 'an array of {stream, revision, hash}');
    anchor.heads.forEach((h, i) => checkHead(h, `heads[${i}]`));
  } catch (error) {
    if (error instanceof AnchorFormatError) return { reason: 'malformed', message: error.message };
    throw error;
  }
  const keyId = keyIdOf(publicKey);
  if (anchor.keyId !== keyId) return { reason: 'key', message: `it names key ${anchor.keyId}, not the key given (${keyId})`, expected: keyId, found: anchor.keyId };
  if (!verifyAnchorSignature(anchor, publicKey)) return { reason: 'signature', message: `its signature does not verify against key ${keyId}` };
  for (let i = 1; i < anchor.heads.length; i++) {
    if (!((anchor.heads[i - 1]?.stream ?? '') < (anchor.heads[i]?.stream ?? ''))) return { reason: 'heads', message: `its heads are not in stream order with each stream once (at heads[${i}])` };
  }
  const root = headsRoot(anchor.heads);
  if (root !== anchor.root || anchor.size !== anchor.heads.length) {
    return { reason: 'root', message: `its ${anchor.heads.length} heads hash to root ${root}, it signs ${anchor.root} over ${anchor.size}`, expected: root, found: anchor.root };
  }
  return null;
};
