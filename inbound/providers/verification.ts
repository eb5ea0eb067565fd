import { createHmac, timingSafeEqual } from 'node:crypto';

/** One request as the ingest received it: the raw bytes (never a re-serialised body) and the headers. */
export type InboundRequest = Readonly<{
  rawBody: Uint8Array;
  /** Header names in any case; a repeated header may arrive as a list (its first value is read). */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  receivedAt: Date;
  /** The public URL the provider called, query included (Twilio signs it); the ingest knows it. */
  url?: string;
}>;

export type RefusalCode =
  | 'missing_header'
  | 'malformed_header'
  | 'no_matching_signature'
  | 'timestamp_out_of_tolerance'
  | 'malformed_body'
  | 'missing_url'
  | 'not_configured';

export type Verified = Readonly<{ ok: true; provider: string; signedAt: Date | null }>;
export type Refused = Readonly<{ ok: false; code: RefusalCode; message: string }>;
export type Verification = Verified | Refused;

export const refuse = (code: RefusalCode, message: string): Refused => ({ ok: false, code, message });
export const verified = (provider: string, signedAt: Date | null): Verified => ({ ok: true, provider, signedAt });
export const missingHeader = (name: string): Refused => refuse('missing_header', `Missing header ${name}`);
export const noMatch = (): Refused => refuse('no_matching_signature', 'No matching signature found');

export const header = (request: InboundRequest, name: string): string | null => {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(request.headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    const first = typeof value === 'string' ? value : value[0];
    return first === undefined ? null : first;
  }
  return null;
};

/** Constant-time equality of two byte strings; different lengths are unequal (and say only that). */
export const safeEqual = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && timingSafeEqual(a, b);

export const hmac = (algorithm: 'sha1' | 'sha256' | 'sha512', key: string | Uint8Array, ...parts: (string | Uint8Array)[]): Buffer => {
  const mac = createHmac(algorithm, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
};

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Decodes a signature as sent; text that is not of the encoding decodes to nothing (and matches nothing). */
export const decodeSignature = (text: string, encoding: 'hex' | 'base64'): Buffer => {
  const trimmed = text.trim();
  if (encoding === 'hex') return HEX.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.alloc(0);
  return BASE64.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0);
};

/** Whether `expected` equals any candidate, comparing every candidate (no early exit on a match's position). */
export const matchesAny = (expected: Uint8Array, candidates: readonly Uint8Array[]): boolean => {
  let found = false;
  for (const candidate of candidates) if (safeEqual(expected, candidate)) found = true;
  return found;
};

const UNIX_SECONDS = /^\d{1,12}$/;

/** Unix seconds as a provider sends them, or null when the text is not one. */
export const parseUnixSeconds = (text: string): number | null => (UNIX_SECONDS.test(text.trim()) ? Number(text.trim()) : null);

/**
 * The replay window: a signed timestamp more than `toleranceSeconds` away from the time of receipt, either way,
 * is refused (a timestamp from the future is as suspect as an old one).
 */
export const checkTolerance = (signedAtSeconds: number, request: InboundRequest, toleranceSeconds: number | null): Refused | null => {
  if (toleranceSeconds === null) return null;
  const skew = Math.abs(request.receivedAt.getTime() / 1000 - signedAtSeconds);
  return skew > toleranceSeconds ? refuse('timestamp_out_of_tolerance', `Timestamp outside the tolerance of ${toleranceSeconds} s`) : null;
};

export const bodyText = (request: InboundRequest): string => Buffer.from(request.rawBody).toString('utf8');
