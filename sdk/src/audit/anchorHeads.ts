// The compact list of heads of a version 2 anchor (docs/audit.md, "Anchors"): what it costs the log is bytes per
// head, so each stream id is stored front-coded against the one before it (the heads are sorted by stream id) and
// the chain hashes as one base64 string. Pure (no `node:` import): the SDK decodes it in a browser.
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { AnchorFormatError, check, checkHead, DECIMAL } from './anchorFormat.js';
import type { AnchoredHead } from './anchorFormat.js';

/** A version 2 anchor's heads as stored: see AnchorDataV2. */
export type EncodedHeads = Readonly<{ streams: readonly string[]; hashes: string }>;

/**
 * How many leading UTF-16 code units `id` shares with `before`, less one when they would end between the two halves
 * of a surrogate pair (so that no stored part holds half a character).
 */
export const sharedPrefixLength = (before: string, id: string): number => {
  const max = Math.min(before.length, id.length);
  let k = 0;
  while (k < max && before.charCodeAt(k) === id.charCodeAt(k)) k++;
  if (k > 0) {
    const last = id.charCodeAt(k - 1);
    if (last >= 0xd800 && last <= 0xdbff) k--;
  }
  return k;
};

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** RFC 4648 base64 (section 4, padded), through the platform's btoa in chunks (no spread of a large array). */
const toBase64 = (bytes: Uint8Array): string => {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
};

/** Strict: only RFC 4648 section 4 base64 of exactly `length` bytes, in its one canonical spelling. */
const fromBase64 = (text: string, length: number): Uint8Array | null => {
  if (text.length !== 4 * Math.ceil(length / 3) || !BASE64.test(text)) return null;
  const binary = atob(text);
  if (binary.length !== length) return null;
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return toBase64(bytes) === text ? bytes : null;
};

/**
 * The stored form of heads already in anchor order (sorted by stream id, each stream once: sortHeads). Each head is
 * checked (AnchorFormatError names the first bad one).
 */
export const encodeAnchorHeads = (heads: readonly AnchoredHead[]): EncodedHeads => {
  const hashes = new Uint8Array(32 * heads.length);
  let before = '';
  const streams = heads.map((head, i) => {
    checkHead(head, `heads[${i}]`);
    hashes.set(hexToBytes(head.hash), 32 * i);
    const shared = i === 0 ? 0 : sharedPrefixLength(before, head.stream);
    before = head.stream;
    return `${head.revision} ${shared} ${head.stream.slice(shared)}`;
  });
  return { streams, hashes: toBase64(hashes) };
};

const ENTRY = /^(0|[1-9][0-9]*) (0|[1-9][0-9]*) /s;

/**
 * The heads a version 2 anchor's `streams` and `hashes` hold (`size` of them), in their stored order. Throws
 * AnchorFormatError naming the first entry that is not exactly what encodeAnchorHeads writes. Their order (by stream,
 * each once) is the caller's to check: verifyAnchor names it.
 */
export const decodeAnchorHeads = (encoded: EncodedHeads, size: number): AnchoredHead[] => {
  const { streams, hashes } = encoded;
  check(Array.isArray(streams) && streams.length === size, 'streams', `an array of ${size} strings (the anchor's size)`);
  const bytes = typeof hashes === 'string' ? fromBase64(hashes, 32 * size) : null;
  if (!bytes) throw new AnchorFormatError('hashes', `base64 (RFC 4648, padded) of ${size} 32-byte hashes`);
  const heads: AnchoredHead[] = [];
  let before = '';
  streams.forEach((entry: unknown, i) => {
    const field = `streams[${i}]`;
    const match = typeof entry === 'string' ? ENTRY.exec(entry) : null;
    if (!match || typeof entry !== 'string') throw new AnchorFormatError(field, '"<revision> <shared> <rest of the stream id>", decimals without leading zeros');
    const shared = Number(match[2]);
    check(i > 0 || shared === 0, field, 'the first head shares nothing (0)');
    check(shared <= before.length, field, `it shares at most the ${before.length} code units of the stream id before it`);
    const stream = before.slice(0, shared) + entry.slice(match[0].length);
    check(stream.length > 0, field, 'a non-empty stream id');
    check(i === 0 || sharedPrefixLength(before, stream) === shared, field, 'its shared length is the longest prefix it shares with the stream id before it');
    const revision = match[1] as string;
    check(DECIMAL.test(revision), field, 'a decimal revision');
    heads.push({ stream, revision, hash: bytesToHex(bytes.subarray(32 * i, 32 * i + 32)) });
    before = stream;
  });
  return heads;
};
