import type { Scheme } from './scheme';
import type { InboundRequest } from './verification';
import { checkTolerance, decodeSignature, header, hmac, matchesAny, missingHeader, noMatch, parseUnixSeconds, refuse, verified } from './verification';

const SECRET_PREFIX = 'whsec_';

/** `webhook-x` (Standard Webhooks) or Svix's branded `svix-x`, whichever was sent. */
const either = (request: InboundRequest, suffix: string): string | null => header(request, `webhook-${suffix}`) ?? header(request, `svix-${suffix}`);

/**
 * Svix and Standard Webhooks (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
 * `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64> [v1,<base64> …]` (or the same with `svix-`);
 * HMAC-SHA256 keyed with the base64-decoded secret (after `whsec_`) over `<id>.<timestamp>.<raw body>`; 5 minutes
 * either way.
 */
export const standardWebhooks: Scheme = {
  provider: 'svix',
  defaultToleranceSeconds: 300,
  verify: ({ key, toleranceSeconds }, request) => {
    const id = either(request, 'id');
    if (id === null) return missingHeader('webhook-id');
    const timestamp = either(request, 'timestamp');
    if (timestamp === null) return missingHeader('webhook-timestamp');
    const signatures = either(request, 'signature');
    if (signatures === null) return missingHeader('webhook-signature');
    const seconds = parseUnixSeconds(timestamp);
    if (seconds === null) return refuse('malformed_header', 'Header webhook-timestamp is not a Unix time');
    const secret = Buffer.from(key.startsWith(SECRET_PREFIX) ? key.slice(SECRET_PREFIX.length) : key, 'base64');
    const sent = signatures
      .split(' ')
      .filter((entry) => entry.startsWith('v1,'))
      .map((entry) => decodeSignature(entry.slice(3), 'base64'));
    if (!matchesAny(hmac('sha256', secret, `${id}.${timestamp.trim()}.`, request.rawBody), sent)) return noMatch();
    return checkTolerance(seconds, request, toleranceSeconds) ?? verified('svix', new Date(seconds * 1000));
  },
};
