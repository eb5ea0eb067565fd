import type { Scheme } from './scheme';
import { decodeSignature, header, hmac, matchesAny, missingHeader, noMatch, verified } from './verification';

/**
 * Shopify (https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook):
 * `X-Shopify-Hmac-Sha256: <base64>`, HMAC-SHA256 of the raw body keyed with the app's client secret.
 * No timestamp is signed.
 */
export const shopify: Scheme = {
  provider: 'shopify',
  defaultToleranceSeconds: null,
  verify: ({ key }, request) => {
    const value = header(request, 'x-shopify-hmac-sha256');
    if (value === null) return missingHeader('x-shopify-hmac-sha256');
    return matchesAny(hmac('sha256', key, request.rawBody), [decodeSignature(value, 'base64')]) ? verified('shopify', null) : noMatch();
  },
};
