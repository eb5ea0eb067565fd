import type { Event } from '../decider';
import type { SealedSecret } from '../secretBox';

// The audit log's own events (docs/audit.md, "Anchors"): the deployment's anchor key, and the signed anchors.
// Written by the server itself, not by a command: no decider.

/**
 * The deployment's Ed25519 anchor key, created once (the first append to its stream wins: expected revision
 * `no_stream`). The secret key (its 32-byte seed, hex) is sealed with the master key (AES-256-GCM, secretBox.ts): the
 * log holds ciphertext only. `publicKey` is 64 hex digits; `keyId` its fingerprint (sdk/src/audit/anchor.ts keyIdOf).
 */
export type AuditKeyCreated = Event<'AuditKeyCreated', { keyId: string; algorithm: 'Ed25519'; publicKey: string; secretKey: SealedSecret; createdAt: string }>;

/** The signed header every anchor has (sdk/src/audit/anchor.ts AnchorHeader). */
type AnchorFields = { sequence: string; prev: string; root: string; size: number; upTo: string; at: string; keyId: string; signature: string };

/**
 * A signed anchor: the Merkle root of the stream heads changed since the anchor before it, chained to that anchor
 * (sdk/src/audit/anchor.ts AnchorData, byte for byte in docs/audit.md). Its revision in the anchors stream is its
 * `sequence`. Version 2 (written since) stores its heads compactly; version 1 (written before) lists them.
 */
export type AuditAnchor = Event<
  'AuditAnchor',
  | (AnchorFields & { format: 'hookbase-anchor/2'; streamsSha256: string; streams: string[]; hashes: string })
  | (AnchorFields & { heads: { stream: string; revision: string; hash: string }[] })
>;

export type AuditEvent = AuditKeyCreated | AuditAnchor;
