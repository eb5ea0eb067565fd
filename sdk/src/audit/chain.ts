// The hash chain's encoding (docs/audit.md, "The hash of an event", byte for byte). Pure: no `node:` import, so the
// SDK verifies the same chains in a browser; the server imports it through store/chain/encoding.ts. SHA-256 from
// @noble/hashes (audited, synchronous).
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/** Metadata key of the chain: `{prev, hash}`, both 64 lowercase hex digits. */
export const CHAIN_KEY = 'chain';

/** The previous hash of a stream's first event (revision 0). */
export const GENESIS_HASH = '0'.repeat(64);
/**
 * The previous hash of a stream's first chained event when the event before it carries no chain (a stream written
 * before chaining existed): its chain starts there.
 */
export const UNCHAINED_PREDECESSOR_HASH = 'f'.repeat(64);

export const ENCODING_TAG = 'hookbase-chain/1';

export type ChainLink = Readonly<{ prev: string; hash: string }>;

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Canonical JSON (the JSON Canonicalization Scheme, RFC 8785, for the values JSON.stringify writes): object members
 * sorted by their keys' UTF-16 code units, no whitespace, strings and numbers as JSON.stringify writes them. Values
 * JSON.stringify drops (undefined, functions) are dropped as it drops them, and `toJSON` is honoured, so the encoding
 * of what an appender holds equals the encoding of what a reader parses back from the store.
 */
export const canonicalJson = (value: unknown): string => {
  const encoded = encodeValue(value);
  if (encoded === undefined) throw new TypeError('Not a JSON value: nothing to encode.');
  return encoded;
};

const encodeValue = (raw: unknown): string | undefined => {
  const value: unknown =
    raw !== null && typeof raw === 'object' && typeof (raw as { toJSON?: unknown }).toJSON === 'function' ? (raw as { toJSON: () => unknown }).toJSON() : raw;
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'bigint':
      throw new TypeError('A bigint is not JSON (the stores would refuse it too).');
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => encodeValue(v) ?? 'null').join(',')}]`;
      const members: string[] = [];
      // Default sort compares UTF-16 code units, as RFC 8785 section 3.2.3 asks.
      for (const key of Object.keys(value).sort()) {
        const encoded = encodeValue((value as Record<string, unknown>)[key]);
        if (encoded !== undefined) members.push(`${JSON.stringify(key)}:${encoded}`);
      }
      return `{${members.join(',')}}`;
    }
    default:
      return undefined;
  }
};

export type HashableEvent = Readonly<{
  streamId: string;
  revision: bigint;
  type: string;
  data: unknown;
  /** The event's metadata as stored: its chain's `hash` is left out of the encoding, `prev` is kept. */
  metadata: Readonly<Record<string, unknown>>;
}>;

/** The metadata without the chain's own hash (what the hash covers). */
const metadataWithoutHash = (metadata: Readonly<Record<string, unknown>>, prev: string): Record<string, unknown> => ({ ...metadata, [CHAIN_KEY]: { prev } });

/** The exact bytes hashed: seven lines joined by "\n" (no final newline), UTF-8. */
export const chainEncoding = (event: HashableEvent, prev: string): string =>
  [
    ENCODING_TAG,
    JSON.stringify(event.streamId),
    event.revision.toString(10),
    JSON.stringify(event.type),
    canonicalJson(event.data),
    canonicalJson(metadataWithoutHash(event.metadata, prev)),
    prev,
  ].join('\n');

/** SHA-256 of the encoding, 64 lowercase hex digits. */
export const eventHash = (event: HashableEvent, prev: string): string => bytesToHex(sha256(utf8ToBytes(chainEncoding(event, prev))));

/** The chain link an event's metadata carries, or null when it carries none (or a malformed one: `malformed`). */
export const chainLinkOf = (metadata: Readonly<Record<string, unknown>>): ChainLink | null | 'malformed' => {
  const link = metadata[CHAIN_KEY];
  if (link === undefined) return null;
  if (link === null || typeof link !== 'object') return 'malformed';
  const { prev, hash } = link as Record<string, unknown>;
  return typeof prev === 'string' && typeof hash === 'string' && HEX64.test(prev) && HEX64.test(hash) ? { prev, hash } : 'malformed';
};

/** The metadata to store: the caller's, with its chain link (any link it carried is replaced). */
export const chainedMetadata = <M extends Readonly<Record<string, unknown>>>(event: HashableEvent & { metadata: M }, prev: string): M & { chain: ChainLink } => ({
  ...event.metadata,
  [CHAIN_KEY]: { prev, hash: eventHash(event, prev) },
});
