import { createHash, createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SourceProvider, VerificationSettings } from '../../domain/source/providers';
import type { InboundRequest, ProviderConfig } from './index';
import { verifyInbound } from './index';
import { at, receivedLater, requestOf, withOneByteChanged } from './testing';

// These providers publish no request with its secret and signature, so each vector here is built in the test with
// node:crypto directly, from the provider's documented recipe, never with the module under test.

const NOW = 1_767_225_600; // 2026-01-01T00:00:00Z
const BODY = '{"id":"evt_1","type":"invoice.paid","data":{"object":{"amount_paid":4200}}}';
const settings: VerificationSettings = { toleranceSeconds: null, generic: null, publicKey: null };
const hex = (algorithm: string, key: string | Buffer, content: string) => createHmac(algorithm, key).update(content).digest('hex');
const b64 = (algorithm: string, key: string | Buffer, content: string) => createHmac(algorithm, key).update(content).digest('base64');

type Case = {
  provider: SourceProvider;
  /** A request signed at `signedAt` with `secret`, as the provider signs it. */
  signed: (secret: string, signedAt: number) => InboundRequest;
  secret: string;
  wrongSecret: string;
  /** The window (seconds) when the scheme signs a timestamp, else null. */
  tolerance: number | null;
  config?: (secret: string) => ProviderConfig;
};

const svixSecret = (raw: string) => `whsec_${Buffer.from(raw).toString('base64')}`;
const sendgridKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const otherSendgridKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const spki = (key: typeof sendgridKeys.publicKey) => key.export({ format: 'der', type: 'spki' }).toString('base64');

const CASES: Case[] = [
  {
    provider: 'stripe',
    secret: 'whsec_test_secret',
    wrongSecret: 'whsec_test_secreT',
    tolerance: 300,
    signed: (secret, t) => requestOf(BODY, { 'Stripe-Signature': `t=${t},v1=${hex('sha256', secret, `${t}.${BODY}`)},v0=${'0'.repeat(64)}` }, at(t)),
  },
  {
    provider: 'github',
    secret: 'gh-secret',
    wrongSecret: 'gh-secreT',
    tolerance: null,
    signed: (secret, t) => requestOf(BODY, { 'X-Hub-Signature-256': `sha256=${hex('sha256', secret, BODY)}` }, at(t)),
  },
  {
    provider: 'shopify',
    secret: 'shpss_client_secret',
    wrongSecret: 'shpss_client_secreT',
    tolerance: null,
    signed: (secret, t) => requestOf(BODY, { 'X-Shopify-Hmac-Sha256': b64('sha256', secret, BODY) }, at(t)),
  },
  {
    provider: 'slack',
    secret: 'slack-signing-secret',
    wrongSecret: 'slack-signing-secreT',
    tolerance: 300,
    signed: (secret, t) => requestOf(BODY, { 'X-Slack-Request-Timestamp': String(t), 'X-Slack-Signature': `v0=${hex('sha256', secret, `v0:${t}:${BODY}`)}` }, at(t)),
  },
  {
    provider: 'twilio',
    secret: 'twilio-auth-token',
    wrongSecret: 'twilio-auth-tokeN',
    tolerance: null,
    // A JSON body: the URL carries bodySHA256 and only the URL is signed.
    signed: (secret, t) => {
      const url = `https://hooks.example.com/ingest/acme/sms?bodySHA256=${createHash('sha256').update(BODY).digest('hex')}`;
      return requestOf(BODY, { 'Content-Type': 'application/json', 'X-Twilio-Signature': b64('sha1', secret, url) }, at(t), url);
    },
  },
  {
    provider: 'svix',
    secret: svixSecret('0123456789abcdef0123456789abcdef'),
    wrongSecret: svixSecret('0123456789abcdef0123456789abcdeF'),
    tolerance: 300,
    signed: (secret, t) => {
      const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
      const signature = `v1,${b64('sha256', key, `msg_1.${t}.${BODY}`)}`;
      return requestOf(BODY, { 'webhook-id': 'msg_1', 'webhook-timestamp': String(t), 'webhook-signature': `v1,bm90IGl0 ${signature}` }, at(t));
    },
  },
  {
    provider: 'paddle',
    secret: 'pdl_ntfset_01_secret',
    wrongSecret: 'pdl_ntfset_01_secreT',
    tolerance: 5,
    signed: (secret, t) => requestOf(BODY, { 'Paddle-Signature': `ts=${t};h1=${hex('sha256', secret, `${t}:${BODY}`)}` }, at(t)),
  },
  {
    provider: 'linear',
    secret: 'lin_wh_secret',
    wrongSecret: 'lin_wh_secreT',
    tolerance: 60,
    signed: (secret, t) => {
      const body = JSON.stringify({ action: 'create', type: 'Issue', data: { id: 'i1' }, webhookTimestamp: t * 1000 });
      return requestOf(body, { 'Linear-Signature': hex('sha256', secret, body) }, at(t));
    },
  },
  {
    provider: 'mailgun',
    secret: 'mailgun-signing-key',
    wrongSecret: 'mailgun-signing-keY',
    tolerance: 300,
    config: (secret) => ({ secret, settings: { ...settings, toleranceSeconds: 300 } }),
    // The signature covers timestamp and token only (not event-data): the changed byte must fall in the token.
    signed: (secret, t) => {
      const token = 'a'.repeat(49) + 'b';
      const body = JSON.stringify({ 'event-data': { event: 'delivered' }, signature: { timestamp: String(t), signature: hex('sha256', secret, `${t}${token}`), token } });
      return requestOf(body, { 'Content-Type': 'application/json' }, at(t));
    },
  },
  {
    provider: 'sendgrid',
    secret: spki(sendgridKeys.publicKey),
    wrongSecret: spki(otherSendgridKeys.publicKey),
    tolerance: 300,
    config: (publicKey) => ({ secret: null, settings: { ...settings, publicKey, toleranceSeconds: 300 } }),
    signed: (_key, t) => {
      const signature = sign('sha256', Buffer.from(`${t}${BODY}`), sendgridKeys.privateKey).toString('base64');
      return requestOf(BODY, { 'X-Twilio-Email-Event-Webhook-Signature': signature, 'X-Twilio-Email-Event-Webhook-Timestamp': String(t) }, at(t));
    },
  },
  {
    provider: 'generic',
    secret: 'generic-secret',
    wrongSecret: 'generic-secreT',
    tolerance: 120,
    config: (secret) => ({
      secret,
      settings: {
        ...settings,
        generic: { algorithm: 'sha512', headerName: 'x-signature', encoding: 'base64', prefix: 'sha512=', timestampHeader: 'x-timestamp', timestampSeparator: '.', toleranceSeconds: 120 },
      },
    }),
    signed: (secret, t) => requestOf(BODY, { 'X-Signature': `sha512=${b64('sha512', secret, `${t}.${BODY}`)}`, 'X-Timestamp': String(t) }, at(t)),
  },
];

const configOf = (c: Case, secret: string): ProviderConfig => (c.config ? c.config(secret) : { secret, settings });

/** Mailgun signs no body byte: change a byte of the token instead (the last one before the closing quotes). */
const tampered = (c: Case, request: InboundRequest): InboundRequest => {
  if (c.provider !== 'mailgun') return withOneByteChanged(request);
  const text = Buffer.from(request.rawBody).toString('utf8').replace('b"}}', 'c"}}');
  return { ...request, rawBody: Buffer.from(text) };
};

describe.each(CASES)('$provider (no published vector: built with node:crypto)', (c) => {
  const request = c.signed(c.secret, NOW);

  it('accepts the signed request', () => {
    expect(verifyInbound(c.provider, configOf(c, c.secret), request)).toMatchObject({ ok: true });
  });

  it('refuses it with one signed byte changed', () => {
    expect(verifyInbound(c.provider, configOf(c, c.secret), tampered(c, request))).toEqual({ ok: false, code: 'no_matching_signature', message: 'No matching signature found' });
  });

  it('refuses it under a wrong secret, without the secret in the message', () => {
    const refusal = verifyInbound(c.provider, configOf(c, c.wrongSecret), request);
    expect(refusal).toMatchObject({ ok: false, code: 'no_matching_signature' });
    expect(JSON.stringify(refusal)).not.toContain(c.secret.slice(0, 8));
    expect(JSON.stringify(refusal)).not.toContain(c.wrongSecret.slice(0, 8));
  });

});

describe.each(CASES.filter((c) => c.tolerance !== null))('$provider signs a timestamp (no published vector: built with node:crypto)', (c) => {
  it('accepts the request at the edge of its window and refuses it one second later (and as early)', () => {
    const request = c.signed(c.secret, NOW);
    const tolerance = c.tolerance!;
    const config = configOf(c, c.secret);
    expect(verifyInbound(c.provider, config, receivedLater(request, tolerance))).toMatchObject({ ok: true });
    const late = { ok: false, code: 'timestamp_out_of_tolerance', message: `Timestamp outside the tolerance of ${tolerance} s` };
    expect(verifyInbound(c.provider, config, receivedLater(request, tolerance + 1))).toEqual(late);
    expect(verifyInbound(c.provider, config, receivedLater(request, -(tolerance + 1)))).toEqual(late);
  });
});

describe('refusals that name what is missing', () => {
  it.each([
    ['stripe', 'Missing header stripe-signature'],
    ['github', 'Missing header x-hub-signature-256'],
    ['shopify', 'Missing header x-shopify-hmac-sha256'],
    ['slack', 'Missing header x-slack-signature'],
    ['twilio', 'Missing header x-twilio-signature'],
    ['svix', 'Missing header webhook-id'],
    ['paddle', 'Missing header paddle-signature'],
    ['linear', 'Missing header linear-signature'],
  ] as const)('%s: %s', (provider, message) => {
    expect(verifyInbound(provider, { secret: 's', settings }, requestOf(BODY, {}, at(NOW)))).toEqual({ ok: false, code: 'missing_header', message });
  });

  it('sendgrid without a verification key, generic without settings: not_configured', () => {
    expect(verifyInbound('sendgrid', { secret: null, settings }, requestOf(BODY, {}, at(NOW)))).toMatchObject({ ok: false, code: 'not_configured' });
    expect(verifyInbound('generic', { secret: 's', settings }, requestOf(BODY, {}, at(NOW)))).toMatchObject({ ok: false, code: 'not_configured' });
    expect(verifyInbound('stripe', { secret: null, settings }, requestOf(BODY, {}, at(NOW)))).toMatchObject({ ok: false, code: 'not_configured' });
  });

  it('twilio without the called URL: missing_url', () => {
    const request = requestOf(BODY, { 'X-Twilio-Signature': 'x' }, at(NOW));
    expect(verifyInbound('twilio', { secret: 's', settings }, request)).toMatchObject({ ok: false, code: 'missing_url' });
  });

  it('linear without webhookTimestamp in the body: malformed_body', () => {
    const request = requestOf('{}', { 'Linear-Signature': hex('sha256', 'k', '{}') }, at(NOW));
    expect(verifyInbound('linear', { secret: 'k', settings }, request)).toEqual({ ok: false, code: 'malformed_body', message: 'Body has no numeric webhookTimestamp' });
  });

  it('a source tolerance overrides the provider default (stripe at 10 s)', () => {
    const request = CASES[0]!.signed('whsec_test_secret', NOW);
    const config = { secret: 'whsec_test_secret', settings: { ...settings, toleranceSeconds: 10 } };
    expect(verifyInbound('stripe', config, receivedLater(request, 11))).toMatchObject({ code: 'timestamp_out_of_tolerance', message: 'Timestamp outside the tolerance of 10 s' });
  });

  it('twilio accepts the URL with the default port the proxy added, as twilio-node does', () => {
    const form = 'Body=hi&From=%2B15550001111';
    const signedUrl = 'https://hooks.example.com/ingest/acme/sms';
    const signature = b64('sha1', 'tok', `${signedUrl}Bodyhi` + 'From+15550001111');
    const request = requestOf(form, { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature }, at(NOW), 'https://hooks.example.com:443/ingest/acme/sms');
    expect(verifyInbound('twilio', { secret: 'tok', settings }, request)).toMatchObject({ ok: true });
  });

  it('twilio refuses a JSON body whose bodySHA256 does not match, even with a valid URL signature', () => {
    const url = `https://hooks.example.com/i?bodySHA256=${createHash('sha256').update('{"a":1}').digest('hex')}`;
    const request = requestOf('{"a":2}', { 'Content-Type': 'application/json', 'X-Twilio-Signature': b64('sha1', 'tok', url) }, at(NOW), url);
    expect(verifyInbound('twilio', { secret: 'tok', settings }, request)).toMatchObject({ ok: false, code: 'no_matching_signature' });
  });

  it('mailgun form posts carry the signature as fields', () => {
    const token = 't'.repeat(50);
    const form = new URLSearchParams({ timestamp: String(NOW), token, signature: hex('sha256', 'mk', `${NOW}${token}`), 'body-plain': 'hello' });
    const request = requestOf(form.toString(), { 'Content-Type': 'application/x-www-form-urlencoded' }, at(NOW));
    expect(verifyInbound('mailgun', { secret: 'mk', settings }, request)).toMatchObject({ ok: true });
  });
});
