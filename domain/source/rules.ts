import { createPublicKey } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { validationError } from '../errors';
import type { GenericHmacSettings, VerificationSettings } from './providers';
import { HMAC_ALGORITHMS, SIGNATURE_ENCODINGS, isSourceProvider } from './providers';
import type { SourceProvider } from './providers';
import type { DedupStrategy, IpFilterMode } from './source';

// Meaning checks on source settings; shapes are checked by the API's JSON Schemas first.

export const SLUG = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const DEFAULT_DEDUP_WINDOW = 86_400;
export const DEFAULT_RATE_LIMIT_WINDOW = 60;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const DEDUP: readonly DedupStrategy[] = ['none', 'header', 'payload_hash', 'event_id'];
const IP_MODES: readonly IpFilterMode[] = ['none', 'allowlist', 'denylist'];

const oneOf = <T extends string>(field: string, value: string, allowed: readonly T[]): T => {
  if (!(allowed as readonly string[]).includes(value)) throw validationError(field, 'enum', `${field} must be one of ${allowed.join(', ')}.`);
  return value as T;
};

const wholeNumber = (field: string, value: number, min: number, max: number): number => {
  if (!Number.isInteger(value) || value < min || value > max) throw validationError(field, 'range', `${field} must be a whole number from ${min} to ${max}.`);
  return value;
};

export const requireSlug = (field: string, slug: string): string => {
  if (!SLUG.test(slug)) throw validationError(field, 'pattern', `${field} must be 1-64 lower-case letters, digits or '-', starting with a letter or digit.`);
  return slug;
};

/** "Acme Stripe!" → "acme-stripe": the slug a source gets when none is given. */
export const slugFromName = (name: string): string => {
  const slug = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return slug === '' ? 'source' : slug;
};

export const requireProvider = (field: string, provider: string): SourceProvider => {
  if (!isSourceProvider(provider)) throw validationError(field, 'enum', `${field} must be one of the supported providers (got ${provider}).`);
  return provider;
};

export const requireHeaderName = (field: string, name: string): string => {
  if (!HEADER_NAME.test(name) || name.length > 128) throw validationError(field, 'header_name', `${field} must be a valid header name.`);
  return name.toLowerCase();
};

export const requireDedupStrategy = (field: string, value: string): DedupStrategy => oneOf(field, value, DEDUP);
export const requireIpFilterMode = (field: string, value: string): IpFilterMode => oneOf(field, value, IP_MODES);
export const requireDedupWindow = (field: string, seconds: number): number => wholeNumber(field, seconds, 1, 30 * 86_400);
export const requireRateLimitWindow = (field: string, seconds: number): number => wholeNumber(field, seconds, 1, 86_400);
export const requireSourceRateLimit = (field: string, limit: number | null): number | null => (limit === null ? null : wholeNumber(field, limit, 1, 1_000_000));

/** Each entry an IPv4/IPv6 address or CIDR range, normalised (`10.0.0.0/8`, `2001:db8::/32`). */
export const requireIpList = (field: string, entries: readonly string[]): string[] => {
  if (entries.length > 500) throw validationError(field, 'max_items', `${field} may hold at most 500 entries.`);
  return entries.map((entry, i) => {
    const text = entry.trim();
    try {
      if (text.includes('/')) {
        const [address, bits] = ipaddr.parseCIDR(text);
        return `${address.toString()}/${bits}`;
      }
      return ipaddr.parse(text).toString();
    } catch {
      throw validationError(`${field}[${i}]`, 'ip', `${field}[${i}] must be an IP address or a CIDR range (got ${JSON.stringify(text)}).`);
    }
  });
};

export const requireToleranceSeconds = (field: string, seconds: number | null): number | null =>
  seconds === null ? null : wholeNumber(field, seconds, 1, 86_400);

export const requireGenericSettings = (field: string, raw: GenericHmacSettings): GenericHmacSettings => {
  const timestampHeader = raw.timestampHeader === null ? null : requireHeaderName(`${field}.timestampHeader`, raw.timestampHeader);
  const toleranceSeconds = requireToleranceSeconds(`${field}.toleranceSeconds`, raw.toleranceSeconds);
  if (toleranceSeconds !== null && timestampHeader === null) {
    throw validationError(`${field}.toleranceSeconds`, 'requires', `${field}.toleranceSeconds needs ${field}.timestampHeader (there is no timestamp to check).`);
  }
  if (raw.prefix !== null && raw.prefix.length > 64) throw validationError(`${field}.prefix`, 'max_length', `${field}.prefix must be at most 64 characters.`);
  if (raw.timestampSeparator.length > 8) throw validationError(`${field}.timestampSeparator`, 'max_length', `${field}.timestampSeparator must be at most 8 characters.`);
  return {
    algorithm: oneOf(`${field}.algorithm`, raw.algorithm, HMAC_ALGORITHMS),
    headerName: requireHeaderName(`${field}.headerName`, raw.headerName),
    encoding: oneOf(`${field}.encoding`, raw.encoding, SIGNATURE_ENCODINGS),
    prefix: raw.prefix === '' ? null : raw.prefix,
    timestampHeader,
    timestampSeparator: raw.timestampSeparator,
    toleranceSeconds,
  };
};

/** SendGrid's verification key: base64 DER of a P-256 public key, as its settings page shows it. */
export const requireSendgridKey = (field: string, base64: string): string => {
  try {
    const key = createPublicKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'spki' });
    if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return base64;
  } catch {
    // answered below
  }
  throw validationError(field, 'public_key', `${field} must be SendGrid's verification key: a base64 DER P-256 public key.`);
};

export const requireVerification = (field: string, raw: VerificationSettings): VerificationSettings => ({
  toleranceSeconds: requireToleranceSeconds(`${field}.toleranceSeconds`, raw.toleranceSeconds),
  generic: raw.generic === null ? null : requireGenericSettings(`${field}.generic`, raw.generic),
  publicKey: raw.publicKey === null ? null : requireSendgridKey(`${field}.publicKey`, raw.publicKey),
});
