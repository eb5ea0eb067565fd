import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Endpoint signing secrets are sealed with the master key (AES-256-GCM) before they enter an event,
 * so the event store and every read model only ever hold ciphertext.
 */
export type SealedSecret = { alg: 'A256GCM'; iv: string; tag: string; data: string };

export const MASTER_KEY_BYTES = 32;

export const parseMasterKey = (base64: string): Buffer => {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== MASTER_KEY_BYTES) throw new Error(`The master key must be ${MASTER_KEY_BYTES} bytes, base64-encoded (got ${key.length} bytes).`);
  return key;
};

export const generateMasterKey = (): string => randomBytes(MASTER_KEY_BYTES).toString('base64');

export const sealSecret = (masterKey: Buffer, secret: string): SealedSecret => {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
  const data = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return { alg: 'A256GCM', iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
};

export const openSecret = (masterKey: Buffer, sealed: SealedSecret): string => {
  const decipher = createDecipheriv('aes-256-gcm', masterKey, Buffer.from(sealed.iv, 'base64'));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8');
};

/** `whsec_` + base64 of 24 random bytes, as Standard Webhooks and Svix do. */
export const generateSigningSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

const SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

/** A caller-chosen secret must decode to 24–64 bytes. */
export const isValidSigningSecret = (secret: string): boolean => {
  if (!SECRET.test(secret)) return false;
  const bytes = Buffer.from(secret.slice('whsec_'.length), 'base64').length;
  return bytes >= 24 && bytes <= 64;
};
