import { randomBytes } from 'node:crypto';
import type { StoredBody } from '../domain/inbound/inboundEvent';
import { openSecret, sealSecret } from '../domain/secretBox';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The raw bytes as they go into the log: as text when they are valid UTF-8 (JSON, forms), else base64. Lossless. */
export const plainBody = (rawBody: Uint8Array): StoredBody => {
  try {
    return { kind: 'plain', encoding: 'utf8', data: utf8.decode(rawBody) };
  } catch {
    return { kind: 'plain', encoding: 'base64', data: Buffer.from(rawBody).toString('base64') };
  }
};

/** A transient payload's key: 32 random bytes, kept outside the log under `keyId` and destroyed when deliveries end. */
export type PayloadKey = Readonly<{ keyId: string; key: Buffer }>;

export const newPayloadKey = (keyId: string): PayloadKey => ({ keyId, key: randomBytes(32) });

/** Seals the raw bytes with the event's own key (AES-256-GCM, as secrets are sealed with the master key). */
export const sealedBody = (rawBody: Uint8Array, { keyId, key }: PayloadKey): StoredBody => ({
  kind: 'sealed',
  keyId,
  sealed: sealSecret(key, Buffer.from(rawBody).toString('base64')),
});

/**
 * The raw bytes back. A sealed body needs its key: null when the key is gone (destroyed), and an error when the
 * key given is not the one it was sealed with (GCM authentication fails).
 */
export const openBody = (body: StoredBody, keyOf: (keyId: string) => Buffer | null): Uint8Array | null => {
  if (body.kind === 'plain') return body.encoding === 'utf8' ? Buffer.from(body.data, 'utf8') : Buffer.from(body.data, 'base64');
  const key = keyOf(body.keyId);
  return key === null ? null : Buffer.from(openSecret(key, body.sealed), 'base64');
};
