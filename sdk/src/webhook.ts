// Standard Webhooks verification, after the `standardwebhooks` JavaScript library.
// Synchronous on purpose: receivers write `const payload = webhook.verify(body, headers)`.
import { base64Decode, base64Encode, utf8Decode, utf8Encode } from './encoding.js';
import { hmacSha256, timingSafeEqual } from './sha256.js';

const SECRET_PREFIX = 'whsec_';
const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
}

/** The body Hookbase delivers (see "The webhook on the wire"). */
export interface WebhookPayload<TData = unknown> {
  type: string;
  data: TData;
  /** ISO 8601 time of the message. */
  timestamp: string;
  /** The message id, also sent as `webhook-id`. */
  webhookId: string;
}

/** A `Headers` instance (fetch, Deno, Bun, edge) or a plain object such as Node's `IncomingHttpHeaders`. */
export type WebhookHeaders =
  | Headers
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyOptions {
  /** How far the `webhook-timestamp` may be from now, in seconds (default 300). */
  tolerance?: number;
}

export interface Webhook {
  /** Checks the signature and timestamp, then returns the parsed body; throws `WebhookVerificationError`. */
  verify<TData = unknown>(
    body: string | Uint8Array,
    headers: WebhookHeaders,
    options?: VerifyOptions,
  ): WebhookPayload<TData>;
  /** Signs `{id}.{timestamp}.{body}` and returns `v1,<base64>`. */
  sign(id: string, timestamp: number | Date, body: string | Uint8Array): string;
}

export function createWebhook(secret: string | undefined): Webhook {
  const key = decodeSecret(secret);

  const sign = (id: string, timestamp: number | Date, body: string | Uint8Array): string => {
    const seconds = timestamp instanceof Date ? Math.floor(timestamp.getTime() / 1000) : Math.floor(timestamp);
    return `v1,${base64Encode(computeSignature(key, id, seconds, toBytes(body)))}`;
  };

  const verify = <TData = unknown>(
    body: string | Uint8Array,
    headers: WebhookHeaders,
    options: VerifyOptions = {},
  ): WebhookPayload<TData> => {
    // 1. the three headers must be there
    const id = readHeader(headers, 'webhook-id');
    const timestampHeader = readHeader(headers, 'webhook-timestamp');
    const signatureHeader = readHeader(headers, 'webhook-signature');
    if (!id || !timestampHeader || !signatureHeader) {
      throw new WebhookVerificationError('Missing required headers');
    }

    // 2. the timestamp must be recent, which stops replays of old captured requests
    const timestamp = verifyTimestamp(timestampHeader, options.tolerance ?? DEFAULT_TOLERANCE_SECONDS);

    // 3. any one v1 signature must match (there are several during a secret rotation)
    const bytes = toBytes(body);
    const expected = computeSignature(key, id, timestamp, bytes);
    const candidates = signatureHeader.split(/\s+/).filter((part) => part.length > 0);
    const matched = candidates.some((candidate) => {
      const [version, signature] = candidate.replace(/,$/, '').split(',', 2);
      if (version !== 'v1' || !signature) return false;
      const received = tryBase64Decode(signature);
      return received !== undefined && timingSafeEqual(received, expected);
    });
    if (!matched) throw new WebhookVerificationError('No matching signature found');

    // 4. only a verified body is parsed
    return JSON.parse(typeof body === 'string' ? body : utf8Decode(bytes)) as WebhookPayload<TData>;
  };

  return { verify, sign };
}

function decodeSecret(secret: string | undefined): Uint8Array {
  if (!secret) {
    throw new TypeError("createWebhook: the endpoint's signing secret (whsec_...) is required");
  }
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = tryBase64Decode(encoded);
  if (!key || key.length === 0) {
    throw new TypeError('createWebhook: the signing secret must be "whsec_" followed by base64');
  }
  return key;
}

function computeSignature(key: Uint8Array, id: string, timestamp: number, body: Uint8Array): Uint8Array {
  const prefix = utf8Encode(`${id}.${timestamp}.`);
  const message = new Uint8Array(prefix.length + body.length);
  message.set(prefix);
  message.set(body, prefix.length);
  return hmacSha256(key, message);
}

function verifyTimestamp(header: string, tolerance: number): number {
  if (!/^\d+$/.test(header.trim())) throw new WebhookVerificationError('Invalid Signature Headers');
  const timestamp = Number(header.trim());
  const now = Math.floor(Date.now() / 1000);
  if (now - timestamp > tolerance) throw new WebhookVerificationError('Message timestamp too old');
  if (timestamp > now + tolerance) throw new WebhookVerificationError('Message timestamp too new');
  return timestamp;
}

function readHeader(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof headers.get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  for (const [key, value] of Object.entries(record)) {
    if (key.toLowerCase() !== name) continue;
    // Node gives repeated headers as an array; signatures stay space-separated
    return typeof value === 'string' ? value : value?.join(' ');
  }
  return undefined;
}

function toBytes(body: string | Uint8Array): Uint8Array {
  return typeof body === 'string' ? utf8Encode(body) : body;
}

function tryBase64Decode(text: string): Uint8Array | undefined {
  try {
    return base64Decode(text);
  } catch {
    return undefined;
  }
}
