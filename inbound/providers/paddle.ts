import type { Scheme } from './scheme';
import { checkTolerance, decodeSignature, header, hmac, matchesAny, missingHeader, noMatch, parseUnixSeconds, refuse, verified } from './verification';

/**
 * Paddle Billing (https://developer.paddle.com/webhooks/signature-verification):
 * `Paddle-Signature: ts=<unix>;h1=<hex>[;h1=…]`, HMAC-SHA256 keyed with the notification destination's secret key
 * (as text) over `<ts>:<raw body>`. The window is the official Node SDK's (`WebhooksValidator`,
 * MAX_VALID_TIME_DIFFERENCE = 5 seconds): Paddle signs each delivery attempt afresh.
 */
export const paddle: Scheme = {
  provider: 'paddle',
  defaultToleranceSeconds: 5,
  verify: ({ key, toleranceSeconds }, request) => {
    const value = header(request, 'paddle-signature');
    if (value === null) return missingHeader('paddle-signature');
    let timestamp: string | null = null;
    const signatures: Buffer[] = [];
    for (const item of value.split(';')) {
      const at = item.indexOf('=');
      if (at < 0) continue;
      const name = item.slice(0, at).trim();
      const text = item.slice(at + 1).trim();
      if (name === 'ts') timestamp = text;
      else if (name === 'h1') signatures.push(decodeSignature(text, 'hex'));
    }
    const seconds = timestamp === null ? null : parseUnixSeconds(timestamp);
    if (timestamp === null || seconds === null) return refuse('malformed_header', 'Header paddle-signature has no timestamp (ts=)');
    if (signatures.length === 0) return refuse('malformed_header', 'Header paddle-signature has no h1 signature');
    if (!matchesAny(hmac('sha256', key, `${timestamp}:`, request.rawBody), signatures)) return noMatch();
    return checkTolerance(seconds, request, toleranceSeconds) ?? verified('paddle', new Date(seconds * 1000));
  },
};
