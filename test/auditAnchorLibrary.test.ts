import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { hexToBytes, bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  ANCHOR_GENESIS_HASH,
  AnchorFormatError,
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
  verifyAnchor,
  verifyAnchorSignature,
  verifyHeadInclusion,
} from '../sdk/src/audit/anchor';
import type { AnchoredHead } from '../sdk/src/audit/anchor';
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

  it('signs the documented eight lines; node:crypto verifies the signature against the PEM key', () => {
    const anchor = signAnchor({ sequence: 4n, prev: 'd'.repeat(64), heads, upTo: '41/41', at: new Date('2026-12-07T08:00:00.000Z') }, rfcSecret);
    expect(anchor.heads.map((h) => h.stream)).toEqual(['application-app_1', 'message-msg_2', 'outbound-ob_9']);
    expect(anchor).toMatchObject({ sequence: '4', prev: 'd'.repeat(64), size: 3, upTo: '41/41', at: '2026-12-07T08:00:00.000Z', keyId: keyIdOf(hexToBytes(rfcPublic)) });
    expect(anchor.root).toBe(headsRoot(anchor.heads));
    const text = anchorSigningText(anchor);
    expect(text).toBe(['hookbase-anchor/1', '4', 'd'.repeat(64), anchor.root, '3', '41/41', '2026-12-07T08:00:00.000Z', anchor.keyId].join('\n'));
    expect(nodeVerify(null, Buffer.from(text, 'utf8'), createPublicKey(publicKeyPem(hexToBytes(rfcPublic))), Buffer.from(anchor.signature, 'hex'))).toBe(true);
    expect(anchorHash(anchor)).toMatch(/^[0-9a-f]{64}$/);
    expect(anchorHash(anchor)).toBe(anchorHash(anchorHeaderOf({ ...anchor })));
    // The head's leaf: four lines.
    expect(new TextDecoder().decode(headLeafBytes(heads[0] as AnchoredHead))).toBe(['hookbase-head/1', '"message-msg_2"', '0', 'b'.repeat(64)].join('\n'));
  });

  it('verifies an anchor and names what is wrong: another key, an edited root, an edited head, a forged signature', () => {
    const { secretKey, publicKey } = generateAnchorKeyPair();
    const anchor = signAnchor({ sequence: 0n, prev: ANCHOR_GENESIS_HASH, heads, upTo: '7/7', at: new Date() }, secretKey);
    expect(verifyAnchor(anchor, publicKey)).toBeNull();
    expect(verifyAnchorSignature(anchor, publicKey)).toBe(true);

    const other = generateAnchorKeyPair();
    expect(verifyAnchor(anchor, other.publicKey)).toMatchObject({ reason: 'key', found: anchor.keyId, expected: keyIdOf(other.publicKey) });
    // Forged: signed by another key but naming ours.
    const forged = signAnchor({ sequence: 0n, prev: ANCHOR_GENESIS_HASH, heads, upTo: '7/7', at: new Date() }, other.secretKey);
    expect(verifyAnchor({ ...forged, keyId: anchor.keyId }, publicKey)).toMatchObject({ reason: 'signature' });

    const editedRoot = { ...anchor, root: 'e'.repeat(64) };
    expect(verifyAnchor(editedRoot, publicKey)).toMatchObject({ reason: 'signature' });
    const editedHead = { ...anchor, heads: anchor.heads.map((h, i) => (i === 1 ? { ...h, revision: '1' } : h)) };
    expect(verifyAnchor(editedHead, publicKey)).toMatchObject({ reason: 'root', found: anchor.root });
    const droppedHead = { ...anchor, heads: anchor.heads.slice(1) };
    expect(verifyAnchor(droppedHead, publicKey)).toMatchObject({ reason: 'root' });
    const reordered = { ...anchor, heads: [...anchor.heads].reverse() };
    expect(verifyAnchor(reordered, publicKey)).toMatchObject({ reason: 'heads' });
    expect(verifyAnchor({ ...anchor, at: 'yesterday' }, publicKey)).toMatchObject({ reason: 'malformed', message: expect.stringContaining('at') as unknown });
    expect(verifyAnchor({ ...anchor, signature: 'ab' }, publicKey)).toMatchObject({ reason: 'signature' });
    expect(() => signAnchor({ sequence: 1n, prev: ANCHOR_GENESIS_HASH, heads: [...heads, heads[0] as AnchoredHead], upTo: '1/1', at: new Date() }, secretKey)).toThrow(/listed twice/);
  });

  it('proves one head is in an anchor, and refuses the proof for an edited head or another root', () => {
    const { secretKey } = generateAnchorKeyPair();
    const many = Array.from({ length: 13 }, (_, i): AnchoredHead => ({ stream: `outbound-ob_${String(i).padStart(2, '0')}`, revision: String(i), hash: bytesToHex(merkleLeafHash(Uint8Array.of(i))) }));
    const anchor = signAnchor({ sequence: 2n, prev: 'a'.repeat(64), heads: many, upTo: '99/99', at: new Date() }, secretKey);
    for (const head of anchor.heads) {
      const proof = headInclusionProof(anchor.heads, head.stream);
      expect(proof).not.toBeNull();
      if (!proof) continue;
      expect(verifyHeadInclusion(head, proof, anchor.root)).toBe(true);
      expect(verifyHeadInclusion({ ...head, revision: '999' }, proof, anchor.root)).toBe(false);
      expect(verifyHeadInclusion(head, proof, 'f'.repeat(64))).toBe(false);
    }
    expect(headInclusionProof(anchor.heads, 'message-absent')).toBeNull();
  });
});
