import { describe, expect, it } from 'vitest';
import type { VerificationSettings } from '../../domain/source/providers';
import { verifyInbound } from './index';
import { at, receivedLater, requestOf, withOneByteChanged } from './testing';

const settings: VerificationSettings = { toleranceSeconds: null, generic: null, publicKey: null };

// Known-answer tests: each request and signature is a provider's own published example, reproduced as published.
describe('published known answers', () => {
  // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries ("Testing the webhook payload validation")
  it('GitHub: the docs example (secret "It\'s a Secret to Everybody", body "Hello, World!") is accepted', () => {
    const request = requestOf(
      'Hello, World!',
      { 'X-Hub-Signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' },
      at(1_700_000_000),
    );
    const config = { secret: "It's a Secret to Everybody", settings };
    expect(verifyInbound('github', config, request)).toEqual({ ok: true, provider: 'github', signedAt: null });
    expect(verifyInbound('github', config, withOneByteChanged(request))).toMatchObject({ ok: false, code: 'no_matching_signature' });
    expect(verifyInbound('github', { secret: "It's a secret to everybody", settings }, request)).toMatchObject({ ok: false, code: 'no_matching_signature' });
  });

  // https://api.slack.com/authentication/verifying-requests-from-slack (the slash-command walk-through)
  describe('Slack: the docs example', () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const request = requestOf(
      body,
      { 'X-Slack-Request-Timestamp': '1531420618', 'X-Slack-Signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503' },
      at(1_531_420_618 + 30),
    );
    const config = { secret: '8f742231b10e8888abcd99yyyzzz85a5', settings };

    it('is accepted within five minutes', () => {
      expect(verifyInbound('slack', config, request)).toEqual({ ok: true, provider: 'slack', signedAt: at(1_531_420_618) });
    });
    it('is refused with one byte changed, received 301 s late, or with another secret', () => {
      expect(verifyInbound('slack', config, withOneByteChanged(request))).toMatchObject({ ok: false, code: 'no_matching_signature' });
      expect(verifyInbound('slack', config, receivedLater(request, 301 - 30))).toEqual({
        ok: false,
        code: 'timestamp_out_of_tolerance',
        message: 'Timestamp outside the tolerance of 300 s',
      });
      expect(verifyInbound('slack', { secret: '8f742231b10e8888abcd99yyyzzz85a6', settings }, request)).toMatchObject({ ok: false, code: 'no_matching_signature' });
    });
  });

  // https://www.twilio.com/docs/usage/webhooks/webhooks-security ("Validating signatures from Twilio"): the page's
  // worked example, as it is quoted in two versions (example.com and mycompany.com), each reproduced exactly; the
  // parameters are sent here out of sorted order, so a verifier that signed the body's wire order would fail.
  describe.each([
    ['https://example.com/myapp.php?foo=1&bar=2', '+14158675310', 'L/OH5YylLD5NRKLltdqwSvS0BnU='],
    ['https://mycompany.com/myapp.php?foo=1&bar=2', '+12349013030', '0/KCTR6DLpKmkAf8muzZqo1nDgQ='],
  ])('Twilio: the docs example at %s', (url, caller, signature) => {
    const form = new URLSearchParams([['To', '+18005551212'], ['From', caller], ['Digits', '1234'], ['CallSid', 'CA1234567890ABCDE'], ['Caller', caller]]);
    const request = requestOf(form.toString(), { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature }, at(1_700_000_000), url);
    const config = { secret: '12345', settings };

    it('is accepted', () => {
      expect(verifyInbound('twilio', config, request)).toEqual({ ok: true, provider: 'twilio', signedAt: null });
    });
    it('is refused with one byte changed, at another URL, or with another auth token', () => {
      expect(verifyInbound('twilio', config, withOneByteChanged(request))).toMatchObject({ ok: false, code: 'no_matching_signature' });
      expect(verifyInbound('twilio', config, { ...request, url: url.replace('foo=1', 'foo=2') })).toMatchObject({ ok: false, code: 'no_matching_signature' });
      expect(verifyInbound('twilio', { secret: '12346', settings }, request)).toMatchObject({ ok: false, code: 'no_matching_signature' });
    });
  });

  // The Standard Webhooks reference library's signing test ("sign function works", libraries/javascript/src/webhook.test.ts
  // in github.com/standard-webhooks/standard-webhooks), the vector Svix's libraries share.
  describe('Standard Webhooks / Svix: the reference library vector', () => {
    const headers = { 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'webhook-timestamp': '1614265330', 'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' };
    const request = requestOf('{"test": 2432232314}', headers, at(1_614_265_330 + 10));
    const config = { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', settings };

    it('is accepted under the webhook- and the svix- header names', () => {
      expect(verifyInbound('svix', config, request)).toEqual({ ok: true, provider: 'svix', signedAt: at(1_614_265_330) });
      const branded = { 'svix-id': headers['webhook-id'], 'svix-timestamp': headers['webhook-timestamp'], 'svix-signature': headers['webhook-signature'] };
      expect(verifyInbound('svix', config, requestOf('{"test": 2432232314}', branded, at(1_614_265_330)))).toMatchObject({ ok: true });
    });
    it('is refused with one byte changed, received 301 s late, or with another secret', () => {
      expect(verifyInbound('svix', config, withOneByteChanged(request))).toMatchObject({ ok: false, code: 'no_matching_signature' });
      expect(verifyInbound('svix', config, receivedLater(request, 301 - 10))).toMatchObject({ ok: false, code: 'timestamp_out_of_tolerance' });
      expect(verifyInbound('svix', { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSx', settings }, request)).toMatchObject({ ok: false, code: 'no_matching_signature' });
    });
  });

  // SendGrid's official helper's test vector (@sendgrid/eventwebhook, packages/eventwebhook/src/eventwebhook.spec.js in
  // github.com/sendgrid/sendgrid-nodejs): a real P-256 key, signature, timestamp and payload.
  describe('SendGrid: the official helper vector', () => {
    const publicKey = 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==';
    const otherKey = 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==';
    const request = requestOf(
      '{"category":"example_payload","event":"test_event","message_id":"message_id"}',
      {
        'X-Twilio-Email-Event-Webhook-Signature': 'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=',
        'X-Twilio-Email-Event-Webhook-Timestamp': '1588788367',
      },
      at(1_588_788_367 + 5),
    );
    const config = { secret: null, settings: { ...settings, publicKey } };

    it('is accepted', () => {
      expect(verifyInbound('sendgrid', config, request)).toEqual({ ok: true, provider: 'sendgrid', signedAt: at(1_588_788_367) });
    });
    it('is refused with one byte changed, with another key, or late when the source sets a window', () => {
      expect(verifyInbound('sendgrid', config, withOneByteChanged(request))).toMatchObject({ ok: false, code: 'no_matching_signature' });
      expect(verifyInbound('sendgrid', { secret: null, settings: { ...settings, publicKey: otherKey } }, request)).toMatchObject({ ok: false, code: 'no_matching_signature' });
      const windowed = { secret: null, settings: { ...settings, publicKey, toleranceSeconds: 300 } };
      expect(verifyInbound('sendgrid', windowed, receivedLater(request, 300))).toMatchObject({ ok: false, code: 'timestamp_out_of_tolerance' });
    });
  });
});

// The Standard Webhooks reference library itself (the `standardwebhooks` npm package) as an independent signer.
describe('Standard Webhooks: requests signed by the reference library', () => {
  it('verify, and fail with one byte changed', async () => {
    const { Webhook } = await import('standardwebhooks');
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const body = '{"type":"invoice.paid","data":{"id":"in_1"}}';
    const signature = new Webhook(secret).sign('msg_2', at(1_767_225_600), body);
    const request = requestOf(body, { 'webhook-id': 'msg_2', 'webhook-timestamp': '1767225600', 'webhook-signature': signature }, at(1_767_225_600));
    expect(verifyInbound('svix', { secret, settings }, request)).toEqual({ ok: true, provider: 'svix', signedAt: at(1_767_225_600) });
    expect(verifyInbound('svix', { secret, settings }, withOneByteChanged(request))).toMatchObject({ ok: false, code: 'no_matching_signature' });
  });
});
