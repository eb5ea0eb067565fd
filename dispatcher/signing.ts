import type { KeyObject } from 'node:crypto';
import { createHmac, createSecretKey } from 'node:crypto';

/** Keys of the secrets in use, decoded once (a third of what signing costs); secrets stay in this memory only. */
const keys = new Map<string, KeyObject>();
const MAX_KEYS = 10_000;

/** The key of a `whsec_…` secret: the base64-decoded part after the prefix (Standard Webhooks). */
const secretKey = (secret: string): KeyObject => {
  let key = keys.get(secret);
  if (key === undefined) {
    key = createSecretKey(Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64'));
    if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value as string);
    keys.set(secret, key);
  }
  return key;
};

/** `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` for one secret. */
export const sign = (secret: string, msgId: string, timestampSeconds: number, body: string): string =>
  `v1,${createHmac('sha256', secretKey(secret)).update(`${msgId}.${timestampSeconds}.${body}`).digest('base64')}`;

/** The `webhook-signature` header: one `v1,…` per valid secret (two during a rotation), space-separated. */
export const signatureHeader = (secrets: readonly string[], msgId: string, timestampSeconds: number, body: string): string =>
  secrets.map((secret) => sign(secret, msgId, timestampSeconds, body)).join(' ');
