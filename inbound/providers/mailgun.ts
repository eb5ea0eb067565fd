import type { Scheme } from './scheme';
import type { InboundRequest } from './verification';
import { bodyText, checkTolerance, decodeSignature, header, hmac, matchesAny, noMatch, parseUnixSeconds, refuse, verified } from './verification';

type Signed = { timestamp: string; token: string; signature: string };

const text = (value: unknown): string | null => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null);

/** Webhooks post JSON with a `signature` object; routes and legacy webhooks post the three as form fields. */
const signedFields = (request: InboundRequest): Signed | null => {
  const body = bodyText(request);
  if ((header(request, 'content-type') ?? '').toLowerCase().startsWith('application/json')) {
    try {
      const parsed: unknown = JSON.parse(body);
      const signature = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>).signature : null;
      if (signature === null || typeof signature !== 'object') return null;
      const fields = signature as Record<string, unknown>;
      const [timestamp, token, hex] = [text(fields.timestamp), text(fields.token), text(fields.signature)];
      return timestamp !== null && token !== null && hex !== null ? { timestamp, token, signature: hex } : null;
    } catch {
      return null;
    }
  }
  const form = new URLSearchParams(body);
  const [timestamp, token, hex] = [form.get('timestamp'), form.get('token'), form.get('signature')];
  return timestamp !== null && token !== null && hex !== null ? { timestamp, token, signature: hex } : null;
};

/**
 * Mailgun (https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks): the signature
 * travels in the body (`signature: {timestamp, token, signature}`, or form fields): HMAC-SHA256 keyed with the
 * HTTP webhook signing key over `<timestamp><token>`, hex. The docs advise checking the timestamp's freshness and
 * caching tokens but give no window: none unless the source sets one (token reuse is for dedup by `event_id`).
 */
export const mailgun: Scheme = {
  provider: 'mailgun',
  defaultToleranceSeconds: null,
  verify: ({ key, toleranceSeconds }, request) => {
    const signed = signedFields(request);
    if (signed === null) return refuse('malformed_body', 'Body has no Mailgun signature (timestamp, token, signature)');
    const seconds = parseUnixSeconds(signed.timestamp);
    if (seconds === null) return refuse('malformed_body', 'The Mailgun signature timestamp is not a Unix time');
    const expected = hmac('sha256', key, signed.timestamp, signed.token);
    if (!matchesAny(expected, [decodeSignature(signed.signature, 'hex')])) return noMatch();
    return checkTolerance(seconds, request, toleranceSeconds) ?? verified('mailgun', new Date(seconds * 1000));
  },
};
