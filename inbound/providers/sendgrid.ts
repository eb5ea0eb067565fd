import { createPublicKey, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { Scheme } from './scheme';
import { checkTolerance, header, missingHeader, noMatch, parseUnixSeconds, refuse, verified } from './verification';

const SIGNATURE = 'x-twilio-email-event-webhook-signature';
const TIMESTAMP = 'x-twilio-email-event-webhook-timestamp';

const publicKey = (base64: string): KeyObject | null => {
  try {
    const key = createPublicKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? key : null;
  } catch {
    return null;
  }
};

/**
 * SendGrid's signed Event Webhook (https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features):
 * `X-Twilio-Email-Event-Webhook-Signature: <base64 DER ECDSA signature>` over `<X-Twilio-Email-Event-Webhook-Timestamp><raw body>`
 * with SHA-256 on the P-256 curve; the key is the account's "Verification Key" (base64 DER public key), not a secret.
 * Neither the docs nor the official helper (@sendgrid/eventwebhook) set a window: none unless the source sets one.
 */
export const sendgrid: Scheme = {
  provider: 'sendgrid',
  defaultToleranceSeconds: null,
  verify: ({ key, toleranceSeconds }, request) => {
    const signature = header(request, SIGNATURE);
    if (signature === null) return missingHeader(SIGNATURE);
    const timestamp = header(request, TIMESTAMP);
    if (timestamp === null) return missingHeader(TIMESTAMP);
    const seconds = parseUnixSeconds(timestamp);
    if (seconds === null) return refuse('malformed_header', `Header ${TIMESTAMP} is not a Unix time`);
    const verificationKey = publicKey(key);
    if (verificationKey === null) return refuse('not_configured', 'The SendGrid verification key is not a base64 DER P-256 public key');
    let valid = false;
    try {
      valid = verify('sha256', Buffer.concat([Buffer.from(timestamp, 'utf8'), request.rawBody]), verificationKey, Buffer.from(signature, 'base64'));
    } catch {
      valid = false; // a signature that is not DER
    }
    if (!valid) return noMatch();
    return checkTolerance(seconds, request, toleranceSeconds) ?? verified('sendgrid', new Date(seconds * 1000));
  },
};
