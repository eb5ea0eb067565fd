import type { Scheme } from './scheme';
import { checkTolerance, decodeSignature, header, hmac, matchesAny, missingHeader, noMatch, parseUnixSeconds, refuse, verified } from './verification';

/**
 * Stripe (https://docs.stripe.com/webhooks#verify-manually): `Stripe-Signature: t=<unix>,v1=<hex>[,v1=…][,v0=…]`;
 * HMAC-SHA256 keyed with the endpoint secret as text (`whsec_…`, not decoded) over `<t>.<raw body>`; only `v1`
 * entries count (several during a secret roll); stripe-node's default tolerance is 300 s.
 */
export const stripe: Scheme = {
  provider: 'stripe',
  defaultToleranceSeconds: 300,
  verify: ({ key, toleranceSeconds }, request) => {
    const value = header(request, 'stripe-signature');
    if (value === null) return missingHeader('stripe-signature');
    let timestamp: string | null = null;
    const signatures: Buffer[] = [];
    for (const item of value.split(',')) {
      const at = item.indexOf('=');
      if (at < 0) continue;
      const name = item.slice(0, at).trim();
      const text = item.slice(at + 1).trim();
      if (name === 't') timestamp = text;
      else if (name === 'v1') signatures.push(decodeSignature(text, 'hex'));
    }
    const seconds = timestamp === null ? null : parseUnixSeconds(timestamp);
    if (timestamp === null || seconds === null) return refuse('malformed_header', 'Header stripe-signature has no timestamp (t=)');
    if (signatures.length === 0) return refuse('malformed_header', 'Header stripe-signature has no v1 signature');
    if (!matchesAny(hmac('sha256', key, `${timestamp}.`, request.rawBody), signatures)) return noMatch();
    return checkTolerance(seconds, request, toleranceSeconds) ?? verified('stripe', new Date(seconds * 1000));
  },
};
