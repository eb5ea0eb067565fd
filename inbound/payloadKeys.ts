import type { SealedSecret } from '../domain/secretBox';
import { openSecret, sealSecret } from '../domain/secretBox';
import type { CollectionDef, ReadStore } from '../store/readStore';
import type { PayloadKey } from './storedBody';
import { newPayloadKey } from './storedBody';

/**
 * The keys of transient sources' payloads (docs/inbound.md, transient mode): in the operational store, never in the
 * log, each sealed with the master key. Destroying a key (when every delivery of its event has ended) leaves the
 * log's ciphertext unreadable by anyone.
 */
export const payloadKeys = { name: 'inbound_payload_keys', indexes: [] } as const satisfies CollectionDef;

type PayloadKeyDoc = { id: string; key: SealedSecret; createdAt: string };

export const storePayloadKey = async (ops: ReadStore, masterKey: Buffer, keyId: string, now: Date): Promise<PayloadKey> => {
  const key = newPayloadKey(keyId);
  await ops.transaction((tx) => tx.collection<PayloadKeyDoc>(payloadKeys).put({ id: keyId, key: sealSecret(masterKey, key.key.toString('base64')), createdAt: now.toISOString() }));
  return key;
};

/** The key in clear, or null once destroyed. */
export const loadPayloadKey = async (ops: ReadStore, masterKey: Buffer, keyId: string): Promise<Buffer | null> => {
  const doc = await ops.collection<PayloadKeyDoc>(payloadKeys).get(keyId);
  return doc ? Buffer.from(openSecret(masterKey, doc.key), 'base64') : null;
};

export const destroyPayloadKey = async (ops: ReadStore, keyId: string): Promise<void> => {
  await ops.transaction((tx) => tx.collection<PayloadKeyDoc>(payloadKeys).delete(keyId));
};
