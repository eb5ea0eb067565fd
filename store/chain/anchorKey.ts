import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { AuditKeyCreated } from '../../domain/audit/audit';
import { eventMetadata } from '../../domain/events';
import { openSecret, sealSecret } from '../../domain/secretBox';
import { streams } from '../../domain/streams';
import { anchorPublicKey, generateAnchorKeyPair, keyIdOf, publicKeyPem } from '../../sdk/src/audit/anchor.js';
import type { EventStore } from '../eventStore';
import { StreamNotFoundError, WrongExpectedVersionError } from '../eventStore';

/** The deployment's anchor key as the anchor writer holds it (in memory only: never logged, never in a read model). */
export type AnchorSigningKey = Readonly<{ keyId: string; publicKey: Uint8Array; secretKey: Uint8Array }>;

/** What `GET /v1/audit/public-key` and `hookbase audit key` show. */
export type AnchorPublicKeyInfo = Readonly<{ algorithm: 'Ed25519'; keyId: string; publicKey: string; publicKeyPem: string; createdAt: string }>;

/** The key event's public key does not belong to its sealed secret key: the key event was edited. */
export class AnchorKeyMismatchError extends Error {
  constructor(
    readonly recorded: string,
    readonly derived: string,
  ) {
    super(`The anchor key event names key ${recorded}, but its sealed secret key is key ${derived}: the key event in the log was edited.`);
    this.name = 'AnchorKeyMismatchError';
  }
}

type KeyData = AuditKeyCreated['data'];

const isKeyData = (data: Readonly<Record<string, unknown>>): boolean =>
  typeof data.keyId === 'string' && typeof data.publicKey === 'string' && /^[0-9a-f]{64}$/.test(data.publicKey) && typeof data.secretKey === 'object' && data.secretKey !== null;

/** The key event's data, or null when the deployment has no anchor key yet. */
export const readAnchorKeyEvent = async (events: EventStore): Promise<KeyData | null> => {
  try {
    for await (const e of events.readStream(streams.auditKey(), { maxCount: 1 })) {
      if (e.type === 'AuditKeyCreated' && isKeyData(e.data)) return e.data as unknown as KeyData;
      throw new Error(`The first event of ${streams.auditKey()} is not a well-formed AuditKeyCreated (${e.type}).`);
    }
    return null;
  } catch (error) {
    if (error instanceof StreamNotFoundError) return null;
    throw error;
  }
};

export const publicKeyInfo = (data: KeyData): AnchorPublicKeyInfo => ({
  algorithm: 'Ed25519',
  keyId: data.keyId,
  publicKey: data.publicKey,
  publicKeyPem: publicKeyPem(hexToBytes(data.publicKey)),
  createdAt: data.createdAt,
});

/** Opens the sealed secret key and checks that it is the key the event names. */
const openKey = (data: KeyData, masterKey: Buffer): AnchorSigningKey => {
  const secretKey = hexToBytes(openSecret(masterKey, data.secretKey));
  const publicKey = anchorPublicKey(secretKey);
  if (bytesToHex(publicKey) !== data.publicKey || keyIdOf(publicKey) !== data.keyId) throw new AnchorKeyMismatchError(data.keyId, keyIdOf(publicKey));
  return { keyId: data.keyId, publicKey, secretKey };
};

/**
 * The deployment's anchor key: read from its stream, or created there once. Every process that shares the event
 * store and the master key gets the same key; of processes creating it at once, the first append wins (expected
 * revision `no_stream`) and the others read the winner's.
 */
export const loadOrCreateAnchorKey = async (events: EventStore, masterKey: Buffer, now: () => Date = () => new Date()): Promise<AnchorSigningKey> => {
  const existing = await readAnchorKeyEvent(events);
  if (existing) return openKey(existing, masterKey);
  const pair = generateAnchorKeyPair();
  const data: KeyData = {
    keyId: keyIdOf(pair.publicKey),
    algorithm: 'Ed25519',
    publicKey: bytesToHex(pair.publicKey),
    secretKey: sealSecret(masterKey, bytesToHex(pair.secretKey)),
    createdAt: now().toISOString(),
  };
  try {
    await events.appendToStream(streams.auditKey(), [{ type: 'AuditKeyCreated', data, metadata: eventMetadata('AuditKeyCreated', { now: data.createdAt }) }], { expectedRevision: 'no_stream' });
    return { keyId: data.keyId, publicKey: pair.publicKey, secretKey: pair.secretKey };
  } catch (error) {
    if (!(error instanceof WrongExpectedVersionError)) throw error;
    const winner = await readAnchorKeyEvent(events);
    if (!winner) throw error;
    return openKey(winner, masterKey);
  }
};

const cached = new WeakMap<EventStore, Promise<AnchorPublicKeyInfo>>();

/**
 * The public half, for `GET /v1/audit/public-key`: created on first use if no process made it yet (the master key
 * is then needed to seal the secret half), then remembered for this event store.
 */
export const anchorPublicKeyInfo = (events: EventStore, masterKey: Buffer): Promise<AnchorPublicKeyInfo> => {
  const known = cached.get(events);
  if (known) return known;
  const loading = (async () => {
    await loadOrCreateAnchorKey(events, masterKey);
    const data = await readAnchorKeyEvent(events);
    if (!data) throw new Error('The anchor key was created but cannot be read back.');
    return publicKeyInfo(data);
  })();
  cached.set(events, loading);
  loading.catch(() => cached.delete(events));
  return loading;
};
