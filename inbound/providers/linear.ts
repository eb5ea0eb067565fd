import type { Scheme } from './scheme';
import { bodyText, checkTolerance, decodeSignature, header, hmac, matchesAny, missingHeader, noMatch, refuse, verified } from './verification';

/** `webhookTimestamp` from the JSON body: Unix milliseconds, or null when the body has none. */
const webhookTimestamp = (text: string): number | null => {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object') return null;
    const value = (parsed as Record<string, unknown>).webhookTimestamp;
    return typeof value === 'number' && Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
};

/**
 * Linear (https://linear.app/developers/webhooks#securing-webhooks): `Linear-Signature: <hex>`, HMAC-SHA256 of the
 * raw body keyed with the webhook's signing secret; the body's `webhookTimestamp` (Unix milliseconds) must be within
 * a minute of the time of receipt (the official SDK's LinearWebhooks.verify: more than 60 000 ms either way fails).
 */
export const linear: Scheme = {
  provider: 'linear',
  defaultToleranceSeconds: 60,
  verify: ({ key, toleranceSeconds }, request) => {
    const value = header(request, 'linear-signature');
    if (value === null) return missingHeader('linear-signature');
    if (!matchesAny(hmac('sha256', key, request.rawBody), [decodeSignature(value, 'hex')])) return noMatch();
    const millis = webhookTimestamp(bodyText(request));
    if (millis === null) return refuse('malformed_body', 'Body has no numeric webhookTimestamp');
    return checkTolerance(millis / 1000, request, toleranceSeconds) ?? verified('linear', new Date(millis));
  },
};
