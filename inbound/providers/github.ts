import type { Scheme } from './scheme';
import { decodeSignature, header, hmac, matchesAny, missingHeader, noMatch, refuse, verified } from './verification';

const PREFIX = 'sha256=';

/**
 * GitHub (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries):
 * `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 of the raw body keyed with the webhook secret. The legacy
 * SHA-1 `X-Hub-Signature` is not accepted (GitHub recommends the SHA-256 header). No timestamp is signed.
 */
export const github: Scheme = {
  provider: 'github',
  defaultToleranceSeconds: null,
  verify: ({ key }, request) => {
    const value = header(request, 'x-hub-signature-256');
    if (value === null) return missingHeader('x-hub-signature-256');
    if (!value.startsWith(PREFIX)) return refuse('malformed_header', `Header x-hub-signature-256 does not start with ${PREFIX}`);
    const sent = decodeSignature(value.slice(PREFIX.length), 'hex');
    return matchesAny(hmac('sha256', key, request.rawBody), [sent]) ? verified('github', null) : noMatch();
  },
};
