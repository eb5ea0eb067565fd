import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ANCHOR_FORMAT_V2, ANCHOR_TAG, anchorHeadsOf, generateAnchorKeyPair, headsRoot, keyIdOf, signAnchor, sortHeads, verifyAnchor } from '../../sdk/src/audit/anchor.js';
import type { AnchoredHead, AnchorFormat } from '../../sdk/src/audit/anchor.js';
import { chainedMetadata, eventHash } from '../../sdk/src/audit/chain.js';
import { serverChainedMetadata, serverEventHash, serverHeadsRoot, serverSign, serverSignAnchor } from './serverHash';

// The server hashes with node:crypto, an auditor's SDK with @noble/hashes: they must agree on every hash.

const hex64 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
// Stream ids that share prefixes (front coding), any code units included (lone surrogates, astral characters, controls).
const streamId = fc.oneof(
  fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }),
  fc.tuple(fc.constantFrom('message-msg_01JX', 'outbound-out_01JX', 'a', '\ud83d\ude00x', 'é'), fc.string({ maxLength: 6, unit: fc.constantFrom('A', 'B', '\ud83d', '\ude00', '\u0000', '"', ' ', '1') })).map(([p, r]) => p + r),
);
const head = fc.record({ stream: streamId, revision: fc.bigInt({ min: 0n, max: 1n << 62n }).map(String), hash: hex64 });
const heads = fc.uniqueArray(head, { maxLength: 70, selector: (h) => h.stream });

describe('server hashing (node:crypto) against the SDK (@noble/hashes)', () => {
  it('the same Merkle root over any heads, empty and odd sizes included, for both versions of the leaves', () => {
    for (const format of [ANCHOR_TAG, ANCHOR_FORMAT_V2] as AnchorFormat[]) {
      fc.assert(fc.property(heads, (hs: AnchoredHead[]) => serverHeadsRoot(hs, format) === headsRoot(hs, format)), { numRuns: 200 });
      const thousand = Array.from({ length: 1000 }, (_, i) => ({ stream: `message-${i}`, revision: '0', hash: (i % 256).toString(16).padStart(2, '0').repeat(32) }));
      expect(serverHeadsRoot(thousand, format)).toBe(headsRoot(thousand, format));
    }
  });

  it('the same Ed25519 signature as @noble/curves (RFC 8032 signatures are deterministic)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), (secretKey, message) => {
        expect(serverSign(message, secretKey)).toBe(Buffer.from(ed25519.sign(message, secretKey)).toString('hex'));
      }),
      { numRuns: 100 },
    );
  });

  it('the same signed anchor, byte for byte, which the SDK verifies and decodes back to its heads', () => {
    const { secretKey, publicKey } = generateAnchorKeyPair();
    const key = { keyId: keyIdOf(publicKey), publicKey, secretKey };
    fc.assert(
      fc.property(heads, fc.bigInt({ min: 0n, max: 1000n }), hex64, (hs: AnchoredHead[], sequence: bigint, prev: string) => {
        const input = { sequence, prev, heads: hs, upTo: '12/12', at: new Date('2026-12-07T10:00:00.000Z') };
        const anchor = serverSignAnchor(input, key);
        expect(anchor).toEqual(signAnchor(input, secretKey));
        expect(verifyAnchor(anchor, publicKey)).toBeNull();
        expect(anchorHeadsOf(anchor)).toEqual(sortHeads(hs));
        // The anchor's own chain link (its data encoded directly on the server), version 1's too, and data of another shape.
        const v1 = signAnchor(input, secretKey, ANCHOR_TAG);
        for (const data of [anchor, v1]) {
          const event = { streamId: 'auditanchors-deployment', revision: sequence, type: 'AuditAnchor', data, metadata: { schemaVersion: 1, at: input.at.toISOString() } };
          expect(serverChainedMetadata(event, prev)).toEqual(chainedMetadata(event, prev));
        }
        const event = { streamId: 'auditanchors-deployment', revision: sequence, type: 'AuditAnchor', data: anchor, metadata: {} };
        for (const odd of [
          { ...anchor, extra: [1, { b: 2, a: 'x' }] },
          { ...anchor, streams: [...anchor.streams, 7] },
          { ...anchor, format: 'hookbase-anchor/3' },
          { ...v1, heads: v1.heads.map((h) => ({ ...h, note: 'é' })) },
          { ...v1, format: ANCHOR_FORMAT_V2 },
        ]) {
          expect(serverEventHash({ ...event, data: odd }, prev)).toBe(eventHash({ ...event, data: odd }, prev));
        }
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
