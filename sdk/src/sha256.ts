// Synchronous SHA-256 and HMAC-SHA256 from @noble/hashes (audited, pure JavaScript, no `node:` import).
// Web Crypto only offers an async HMAC, and webhook verification has to be synchronous
// (`const payload = webhook.verify(body, headers)` inside a try/catch), so it cannot be used here.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

export function hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
  return hmac(nobleSha256, key, message);
}

/** Compares two byte arrays in time that depends only on their lengths (no early exit on the first difference). */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
