import type { Scheme } from './scheme';
import { checkTolerance, decodeSignature, header, hmac, matchesAny, missingHeader, noMatch, parseUnixSeconds, refuse, verified } from './verification';

const PREFIX = 'v0=';

/**
 * Slack (https://api.slack.com/authentication/verifying-requests-from-slack): `X-Slack-Signature: v0=<hex>`,
 * HMAC-SHA256 keyed with the signing secret over `v0:<X-Slack-Request-Timestamp>:<raw body>`; requests more than
 * five minutes away from the local time are to be ignored.
 */
export const slack: Scheme = {
  provider: 'slack',
  defaultToleranceSeconds: 300,
  verify: ({ key, toleranceSeconds }, request) => {
    const signature = header(request, 'x-slack-signature');
    if (signature === null) return missingHeader('x-slack-signature');
    const timestamp = header(request, 'x-slack-request-timestamp');
    if (timestamp === null) return missingHeader('x-slack-request-timestamp');
    const seconds = parseUnixSeconds(timestamp);
    if (seconds === null) return refuse('malformed_header', 'Header x-slack-request-timestamp is not a Unix time');
    if (!signature.startsWith(PREFIX)) return refuse('malformed_header', `Header x-slack-signature does not start with ${PREFIX}`);
    const expected = hmac('sha256', key, `v0:${timestamp.trim()}:`, request.rawBody);
    if (!matchesAny(expected, [decodeSignature(signature.slice(PREFIX.length), 'hex')])) return noMatch();
    return checkTolerance(seconds, request, toleranceSeconds) ?? verified('slack', new Date(seconds * 1000));
  },
};
