// The providers a source can verify, as the official SDK names them (`SourceProvider` in its src/types/index.ts),
// and the settings of the one scheme that is configured rather than fixed: generic HMAC.

export const SOURCE_PROVIDERS = [
  'generic',
  'github',
  'stripe',
  'shopify',
  'slack',
  'twilio',
  'sendgrid',
  'mailgun',
  'paddle',
  'linear',
  'svix',
  'custom',
] as const;

export type SourceProvider = (typeof SOURCE_PROVIDERS)[number];

export const isSourceProvider = (value: string): value is SourceProvider => (SOURCE_PROVIDERS as readonly string[]).includes(value);

export const HMAC_ALGORITHMS = ['sha1', 'sha256', 'sha512'] as const;
export type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number];

export const SIGNATURE_ENCODINGS = ['hex', 'base64'] as const;
export type SignatureEncoding = (typeof SIGNATURE_ENCODINGS)[number];

/**
 * Generic HMAC: the signature of the raw body (or of `timestamp + separator + body` when a timestamp header is
 * named) in one header, hex or base64, maybe behind a prefix such as `sha256=`.
 */
export type GenericHmacSettings = {
  algorithm: HmacAlgorithm;
  /** Lower-case header name. */
  headerName: string;
  encoding: SignatureEncoding;
  /** Text before the signature in the header (`sha256=`), or null. */
  prefix: string | null;
  /** Lower-case header holding Unix seconds that are signed with the body, or null. */
  timestampHeader: string | null;
  /** Between the timestamp and the body in the signed content. */
  timestampSeparator: string;
  /** How far the timestamp may be from the time of receipt; null = not checked. Needs a timestamp header. */
  toleranceSeconds: number | null;
};

/**
 * Settings a source may carry for a fixed scheme: a tolerance other than the provider's (null = the provider's
 * default) and, for SendGrid, the verification key (a public key, so it is not sealed).
 */
export type VerificationSettings = {
  toleranceSeconds: number | null;
  generic: GenericHmacSettings | null;
  /** SendGrid's "Verification Key": base64 DER (SubjectPublicKeyInfo) of a P-256 public key. */
  publicKey: string | null;
};
