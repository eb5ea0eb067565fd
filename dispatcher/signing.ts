import { createHmac } from 'node:crypto';

/** The key of a `whsec_…` secret: the base64-decoded part after the prefix (Standard Webhooks). */
const secretKey = (secret: string): Buffer => Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');

/** `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` for one secret. */
export const sign = (secret: string, msgId: string, timestampSeconds: number, body: string): string =>
  `v1,${createHmac('sha256', secretKey(secret)).update(`${msgId}.${timestampSeconds}.${body}`).digest('base64')}`;

/** The `webhook-signature` header: one `v1,…` per valid secret (two during a rotation), space-separated. */
export const signatureHeader = (secrets: readonly string[], msgId: string, timestampSeconds: number, body: string): string =>
  secrets.map((secret) => sign(secret, msgId, timestampSeconds, body)).join(' ');
