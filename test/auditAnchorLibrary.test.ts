import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { hexToBytes, bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  ANCHOR_FORMAT_V2,
  ANCHOR_GENESIS_HASH,
  ANCHOR_TAG,
  AnchorFormatError,
  anchorHeadsOf,
  anchorHash,
  anchorHeaderOf,
  anchorPublicKey,
  anchorSigningText,
  generateAnchorKeyPair,
  headInclusionProof,
  headLeafBytes,
  headsRoot,
  keyIdOf,
  parsePublicKey,
  publicKeyPem,
  signAnchor,
  encodeAnchorHeads,
  verifyAnchor,
  verifyAnchorSignature,
  verifyHeadInclusion,
} from '../sdk/src/audit/anchor';
import type { AnchorData, AnchoredHead, AnchorFormat } from '../sdk/src/audit/anchor';
import { merkleInclusionProof, merkleLeafHash, merkleRoot, verifyMerkleInclusion } from '../sdk/src/audit/merkle';

// The audit library in sdk/src/audit (issue 18 item 2): RFC 6962 Merkle trees, signed anchors. Checked against
// published vectors and against node:crypto, independently of @noble.

// Certificate Transparency's reference leaves and the roots of the trees over the first n of them (RFC 6962 test data).
const CT_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((h) => hexToBytes(h));
const CT_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const ctLeafHashes = CT_LEAVES.map((l) => merkleLeafHash(l));

describe('Merkle tree (RFC 6962)', () => {
  it('gives the reference roots for 0 to 8 leaves', () => {
    for (let n = 0; n <= 8; n++) expect(bytesToHex(merkleRoot(ctLeafHashes.slice(0, n))), `${n} leaves`).toBe(CT_ROOTS[n]);
  });

  it('gives the reference audit paths, and every path of trees of 1 to 40 leaves verifies', () => {
    expect(merkleInclusionProof(ctLeafHashes, 0).map((p) => bytesToHex(p))).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    expect(merkleInclusionProof(ctLeafHashes.slice(0, 5), 1).map((p) => bytesToHex(p))).toEqual([
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ]);
    expect(merkleInclusionProof(ctLeafHashes.slice(0, 3), 2).map((p) => bytesToHex(p))).toEqual(['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']);
    for (let size = 1; size <= 40; size++) {
      const leaves = Array.from({ length: size }, (_, i) => merkleLeafHash(Uint8Array.of(i)));
      const root = merkleRoot(leaves);
      for (let index = 0; index < size; index++) {
        const proof = merkleInclusionProof(leaves, index);
        expect(verifyMerkleInclusion(leaves[index] as Uint8Array, index, size, proof, root), `${index} of ${size}`).toBe(true);
        // The wrong leaf, the wrong index, or one more or one fewer sibling: refused. (A path does not always pin the
        // tree's size, RFC 9162 2.1.3.2 checks it against a signed size: the anchor signs its `size`.)
        expect(verifyMerkleInclusion(merkleLeafHash(Uint8Array.of(200)), index, size, proof, root)).toBe(false);
        if (size > 1) expect(verifyMerkleInclusion(leaves[index] as Uint8Array, (index + 1) % size, size, proof, root)).toBe(false);
        expect(verifyMerkleInclusion(leaves[index] as Uint8Array, index, size, [...proof, root], root)).toBe(false);
        if (proof.length > 0) expect(verifyMerkleInclusion(leaves[index] as Uint8Array, index, size, proof.slice(1), root)).toBe(false);
      }
    }
    expect(() => merkleInclusionProof(ctLeafHashes, 8)).toThrow(RangeError);
  });
});

const heads: AnchoredHead[] = [
  { stream: 'message-msg_2', revision: '0', hash: 'b'.repeat(64) },
  { stream: 'application-app_1', revision: '3', hash: 'a'.repeat(64) },
  { stream: 'outbound-ob_9', revision: '2', hash: 'c'.repeat(64) },
];

describe('anchors', () => {
  // RFC 8032 section 7.1, test 1: the key pair and the signature of the empty message.
  const rfcSecret = hexToBytes('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
  const rfcPublic = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';

  it('derives the RFC 8032 public key; its key id is the first 16 bytes of its SHA-256; PEM, hex and base64 parse back', () => {
    expect(bytesToHex(anchorPublicKey(rfcSecret))).toBe(rfcPublic);
    const publicKey = hexToBytes(rfcPublic);
    expect(keyIdOf(publicKey)).toHaveLength(32);
    const pem = publicKeyPem(publicKey);
    // node:crypto reads our PEM as the same Ed25519 key.
    expect(createPublicKey(pem).export({ format: 'jwk' })).toMatchObject({ kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') });
    for (const text of [rfcPublic, rfcPublic.toUpperCase(), Buffer.from(publicKey).toString('base64'), pem, `  ${pem}  `]) expect(bytesToHex(parsePublicKey(text))).toBe(rfcPublic);
    expect(() => parsePublicKey('not a key')).toThrow(AnchorFormatError);
    expect(() => parsePublicKey(Buffer.alloc(31).toString('base64'))).toThrow(/publicKey/);
  });

  it('version 1: signs the documented eight lines; node:crypto verifies the signature against the PEM key', () => {
    const anchor = signAnchor({ sequence: 4n, prev: 'd'.repeat(64), heads, upTo: '41/41', at: new Date('2026-12-07T08:00:00.000Z') }, rfcSecret, ANCHOR_TAG);
    expect(anchor.heads.map((h) => h.stream)).toEqual(['application-app_1', 'message-msg_2', 'outbound-ob_9']);
    expect(anchor).toMatchObject({ sequence: '4', prev: 'd'.repeat(64), size: 3, upTo: '41/41', at: '2026-12-07T08:00:00.000Z', keyId: keyIdOf(hexToBytes(rfcPublic)) });
    expect(anchor).not.toHaveProperty('format');
    expect(anchor.root).toBe(headsRoot(anchor.heads));
    const text = anchorSigningText(anchor);
    expect(text).toBe(['hookbase-anchor/1', '4', 'd'.repeat(64), anchor.root, '3', '41/41', '2026-12-07T08:00:00.000Z', anchor.keyId].join('\n'));
    expect(nodeVerify(null, Buffer.from(text, 'utf8'), createPublicKey(publicKeyPem(hexToBytes(rfcPublic))), Buffer.from(anchor.signature, 'hex'))).toBe(true);
    expect(anchorHash(anchor)).toMatch(/^[0-9a-f]{64}$/);
    expect(anchorHash(anchor)).toBe(anchorHash(anchorHeaderOf({ ...anchor })));
    // The head's leaf: four lines.
    expect(new TextDecoder().decode(headLeafBytes(heads[0] as AnchoredHead))).toBe(['hookbase-head/1', '"message-msg_2"', '0', 'b'.repeat(64)].join('\n'));
    expect(anchorHeadsOf(anchor)).toEqual(anchor.heads);
  });

  it('version 2: signs nine lines, the last the SHA-256 of its stream list; its leaves are the chain hashes; its heads front-coded and in base64', () => {
    const anchor = signAnchor({ sequence: 4n, prev: 'd'.repeat(64), heads, upTo: '41/41', at: new Date('2026-12-07T08:00:00.000Z') }, rfcSecret);
    const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');
    const node = (left: string, right: string): string => sha256(Buffer.concat([Buffer.of(1), Buffer.from(left, 'hex'), Buffer.from(right, 'hex')]));
    expect(anchor).toMatchObject({ format: 'hookbase-anchor/2', size: 3, streams: ['3 0 application-app_1', '0 0 message-msg_2', '2 0 outbound-ob_9'] });
    // The heads' 32-byte hashes back to back, in stream order (a, b, c), in base64.
    expect(anchor.hashes).toBe(Buffer.from('a'.repeat(64) + 'b'.repeat(64) + 'c'.repeat(64), 'hex').toString('base64'));
    // RFC 6962's tree with the chain hashes themselves as leaf hashes: node(node(a, b), c).
    expect(anchor.root).toBe(node(node('a'.repeat(64), 'b'.repeat(64)), 'c'.repeat(64)));
    expect(anchor.streamsSha256).toBe(sha256(JSON.stringify(anchor.streams)));
    const text = anchorSigningText(anchor);
    expect(text).toBe(['hookbase-anchor/2', '4', 'd'.repeat(64), anchor.root, '3', '41/41', '2026-12-07T08:00:00.000Z', anchor.keyId, anchor.streamsSha256].join('\n'));
    expect(nodeVerify(null, Buffer.from(text, 'utf8'), createPublicKey(publicKeyPem(hexToBytes(rfcPublic))), Buffer.from(anchor.signature, 'hex'))).toBe(true);
    expect(anchorHeadsOf(anchor)).toEqual([heads[1], heads[0], heads[2]]);
    // Front coding: each stream id after the first stores what it does not share with the one before it.
    const coded = encodeAnchorHeads([
      { stream: 'message-msg_01JXAB', revision: '0', hash: 'a'.repeat(64) },
      { stream: 'message-msg_01JXAC', revision: '12', hash: 'b'.repeat(64) },
      { stream: 'outbound-out_01JX', revision: '1', hash: 'c'.repeat(64) },
      { stream: 'outbound-out_01JX\ud83d\ude00', revision: '0', hash: 'd'.repeat(64) },
      { stream: 'outbound-out_01JX\ud83d\ude01', revision: '0', hash: 'e'.repeat(64) },
    ]);
    // The last shares the high half of its emoji with the one before: not split, it stores the whole character.
    expect(coded.streams).toEqual(['0 0 message-msg_01JXAB', '12 17 C', '1 0 outbound-out_01JX', '0 17 \ud83d\ude00', '0 17 \ud83d\ude01']);
    // An anchor's heads are 64 bytes of JSON or so each, not the ~135 of version 1's objects.
    const many = Array.from({ length: 1000 }, (_, i): AnchoredHead => ({ stream: `message-msg_01JX${String(i).padStart(6, '0')}ABCDEFGHJK`, revision: '0', hash: sha256(String(i)) }));
    const v2 = JSON.stringify(signAnchor({ sequence: 0n, prev: ANCHOR_GENESIS_HASH, heads: many, upTo: '1/1', at: new Date() }, rfcSecret)).length;
    const v1 = JSON.stringify(signAnchor({ sequence: 0n, prev: ANCHOR_GENESIS_HASH, heads: many, upTo: '1/1', at: new Date() }, rfcSecret, ANCHOR_TAG)).length;
    expect(v2 / 1000).toBeLessThan(65);
    expect(v1 / 1000).toBeGreaterThan(130);
  });

  for (const format of [ANCHOR_TAG, ANCHOR_FORMAT_V2] as AnchorFormat[]) {
    const withHeads = (anchor: AnchorData, edit: (hs: AnchoredHead[]) => AnchoredHead[]): AnchorData => {
      const edited = edit(anchorHeadsOf(anchor));
      return anchor.format === undefined ? { ...anchor, heads: edited } : { ...anchor, ...encodeAnchorHeads(edited) };
    };

    it(`${format}: verifies an anchor and names what is wrong: another key, an edited root, an edited head, a forged signature`, () => {
      const { secretKey, publicKey } = generateAnchorKeyPair();
      const anchor = signAnchor({ sequence: 0n, prev: ANCHOR_GENESIS_HASH, heads, upTo: '7/7', at: new Date() }, secretKey, format);
      expect(verifyAnchor(anchor, publicKey)).toBeNull();
      expect(verifyAnchorSignature(anchor, publicKey)).toBe(true);

      const other = generateAnchorKeyPair();
      expect(verifyAnchor(anchor, other.publicKey)).toMatchObject({ reason: 'key', found: anchor.keyId, expected: keyIdOf(other.publicKey) });
      // Forged: signed by another key but naming ours.
      const forged = signAnchor({ sequence: 0n, prev: ANCHOR_GENESIS_HASH, heads, upTo: '7/7', at: new Date() }, other.secretKey, format);
      expect(verifyAnchor({ ...forged, keyId: anchor.keyId }, publicKey)).toMatchObject({ reason: 'signature' });

      expect(verifyAnchor({ ...anchor, root: 'e'.repeat(64) }, publicKey)).toMatchObject({ reason: 'signature' });
      // A head's hash edited: its root no longer holds.
      expect(verifyAnchor(withHeads(anchor, (hs) => hs.map((h, i) => (i === 1 ? { ...h, hash: 'e'.repeat(64) } : h))), publicKey)).toMatchObject({ reason: 'root', found: anchor.root });
      // A head's revision or stream id edited: version 1's leaf covers it; version 2 signs the digest of its list.
      expect(verifyAnchor(withHeads(anchor, (hs) => hs.map((h, i) => (i === 1 ? { ...h, revision: '1' } : h))), publicKey)).toMatchObject({ reason: 'root' });
      expect(verifyAnchor(withHeads(anchor, (hs) => hs.map((h, i) => (i === 1 ? { ...h, stream: 'message-msg_3' } : h))), publicKey)).toMatchObject({ reason: 'root' });
      // A head dropped: version 1 hashes fewer leaves, version 2 no longer has `size` of them.
      expect(verifyAnchor(withHeads(anchor, (hs) => hs.slice(1)), publicKey)).toMatchObject({ reason: format === ANCHOR_TAG ? 'root' : 'malformed' });
      expect(verifyAnchor(withHeads(anchor, (hs) => [...hs].reverse()), publicKey)).toMatchObject({ reason: 'heads' });
      expect(verifyAnchor({ ...anchor, at: 'yesterday' }, publicKey)).toMatchObject({ reason: 'malformed', message: expect.stringContaining('at') as unknown });
      expect(verifyAnchor({ ...anchor, signature: 'ab' }, publicKey)).toMatchObject({ reason: 'signature' });
      // The version is signed: the other version's encoding of the same fields does not verify.
      const relabelled = format === ANCHOR_TAG ? { ...anchor, format: ANCHOR_FORMAT_V2, streamsSha256: 'f'.repeat(64), ...encodeAnchorHeads(anchorHeadsOf(anchor)) } : { ...anchor, format: undefined, streamsSha256: undefined, heads: anchorHeadsOf(anchor) };
      expect(verifyAnchor(relabelled as AnchorData, publicKey)).toMatchObject({ reason: 'signature' });
      expect(verifyAnchor({ ...anchor, format: 'hookbase-anchor/3' } as unknown as AnchorData, publicKey)).toMatchObject({ reason: 'malformed', message: expect.stringContaining('format') as unknown });
      expect(() => signAnchor({ sequence: 1n, prev: ANCHOR_GENESIS_HASH, heads: [...heads, heads[0] as AnchoredHead], upTo: '1/1', at: new Date() }, secretKey, format)).toThrow(/listed twice/);
    });

    it(`${format}: proves one head is in an anchor, and refuses the proof for an edited head or another root`, () => {
      const { secretKey } = generateAnchorKeyPair();
      const many = Array.from({ length: 13 }, (_, i): AnchoredHead => ({ stream: `outbound-ob_${String(i).padStart(2, '0')}`, revision: String(i), hash: bytesToHex(merkleLeafHash(Uint8Array.of(i))) }));
      const anchor = signAnchor({ sequence: 2n, prev: 'a'.repeat(64), heads: many, upTo: '99/99', at: new Date() }, secretKey, format);
      const pinned = anchorHeadsOf(anchor);
      expect(pinned).toEqual(many);
      for (const head of pinned) {
        const proof = headInclusionProof(pinned, head.stream, format);
        expect(proof).not.toBeNull();
        if (!proof) continue;
        expect(verifyHeadInclusion(head, proof, anchor.root, format)).toBe(true);
        expect(verifyHeadInclusion({ ...head, hash: 'e'.repeat(64) }, proof, anchor.root, format)).toBe(false);
        expect(verifyHeadInclusion(head, proof, 'f'.repeat(64), format)).toBe(false);
        // A proof is for the leaves of its anchor's version.
        expect(verifyHeadInclusion(head, proof, anchor.root, format === ANCHOR_TAG ? ANCHOR_FORMAT_V2 : ANCHOR_TAG)).toBe(false);
      }
      expect(headInclusionProof(pinned, 'message-absent', format)).toBeNull();
    });
  }

  it('version 2: a stored list that is not exactly what the writer writes is malformed, and named', () => {
    const { secretKey, publicKey } = generateAnchorKeyPair();
    const anchor = signAnchor({ sequence: 0n, prev: ANCHOR_GENESIS_HASH, heads: [heads[0] as AnchoredHead, { stream: 'message-msg_23', revision: '1', hash: 'd'.repeat(64) }], upTo: '7/7', at: new Date() }, secretKey);
    expect(anchor.streams).toEqual(['0 0 message-msg_2', '1 13 3']);
    for (const [edit, field] of [
      [{ hashes: `${anchor.hashes.slice(0, -1)}` }, 'hashes'],
      [{ hashes: ` ${anchor.hashes.slice(1)}` }, 'hashes'],
      [{ streams: ['0 0 message-msg_2', '1 12 23'] }, 'streams[1]'],
      [{ streams: ['0 0 message-msg_2', '01 13 3'] }, 'streams[1]'],
      [{ streams: ['0 0 message-msg_2', '1 99 3'] }, 'streams[1]'],
      [{ streams: ['0 1 message-msg_2', '1 13 3'] }, 'streams[0]'],
      [{ streams: ['0 0 message-msg_2'] }, 'streams'],
    ] as const) {
      expect(verifyAnchor({ ...anchor, ...edit }, publicKey), field).toMatchObject({ reason: 'malformed', message: expect.stringContaining(`field ${field}:`) as unknown });
    }
  });
});
