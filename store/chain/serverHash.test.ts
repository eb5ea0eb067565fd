import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateAnchorKeyPair, headsRoot, keyIdOf, signAnchor, verifyAnchor } from '../../sdk/src/audit/anchor.js';
import type { AnchoredHead } from '../../sdk/src/audit/anchor.js';
import { chainedMetadata, eventHash } from '../../sdk/src/audit/chain.js';
import { serverChainedMetadata, serverEventHash, serverHeadsRoot, serverSignAnchor } from './serverHash';

// The server hashes with node:crypto, an auditor's SDK with @noble/hashes: they must agree on every hash.

const hex64 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
const head = fc.record({ stream: fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }), revision: fc.bigInt({ min: 0n, max: 1n << 62n }).map(String), hash: hex64 });
const heads = fc.uniqueArray(head, { maxLength: 70, selector: (h) => h.stream });

describe('server hashing (node:crypto) against the SDK (@noble/hashes)', () => {
  it('the same Merkle root over any heads, empty and odd sizes included', () => {
    fc.assert(fc.property(heads, (hs: AnchoredHead[]) => serverHeadsRoot(hs) === headsRoot(hs)), { numRuns: 200 });
    const thousand = Array.from({ length: 1000 }, (_, i) => ({ stream: `message-${i}`, revision: '0', hash: 'ab'.repeat(32) }));
    expect(serverHeadsRoot(thousand)).toBe(headsRoot(thousand));
  });

  it('the same signed anchor, byte for byte, which the SDK verifies', () => {
    const { secretKey, publicKey } = generateAnchorKeyPair();
    const key = { keyId: keyIdOf(publicKey), publicKey, secretKey };
    fc.assert(
      fc.property(heads, fc.bigInt({ min: 0n, max: 1000n }), hex64, (hs: AnchoredHead[], sequence: bigint, prev: string) => {
        const input = { sequence, prev, heads: hs, upTo: '12/12', at: new Date('2026-12-07T10:00:00.000Z') };
        const anchor = serverSignAnchor(input, key);
        expect(anchor).toEqual(signAnchor(input, secretKey));
        expect(verifyAnchor(anchor, publicKey)).toBeNull();
        // The anchor's own chain link (its data encoded directly on the server), and data of another shape.
        const event = { streamId: 'auditanchors-deployment', revision: sequence, type: 'AuditAnchor', data: anchor, metadata: { schemaVersion: 1, at: input.at.toISOString() } };
        expect(serverChainedMetadata(event, prev)).toEqual(chainedMetadata(event, prev));
        const odd = { ...event, data: { ...anchor, extra: [1, { b: 2, a: 'x' }], heads: anchor.heads.map((h) => ({ ...h, note: 'é' })) } };
        expect(serverEventHash(odd, prev)).toBe(eventHash(odd, prev));
      }),
      { numRuns: 50 },
    );
  });

  it('the same event hash and chained metadata for any event', () => {
    fc.assert(
      fc.property(fc.string(), fc.bigInt({ min: 0n, max: 1n << 40n }), fc.string(), fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue()), hex64, (streamId, revision, type, data, metadata, prev) => {
        const event = { streamId, revision, type, data, metadata };
        expect(serverEventHash(event, prev)).toBe(eventHash(event, prev));
        expect(serverChainedMetadata(event, prev)).toEqual(chainedMetadata(event, prev));
      }),
      { numRuns: 300 },
    );
  });
});
