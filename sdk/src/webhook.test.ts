/// <reference types="node" />
import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createWebhook, WebhookVerificationError, type WebhookPayload } from './webhook.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OTHER_SECRET = 'whsec_' + Buffer.from('another secret of 24 bytes!').toString('base64');
const now = () => Math.floor(Date.now() / 1000);

const body = JSON.stringify({
  type: 'order.created',
  data: { orderId: 'ord_123', amount: 99.99 },
  timestamp: '2024-01-15T10:30:00Z',
  webhookId: 'msg_abc123',
});

function headersFor(secret: string, id: string, timestamp: number, payload: string = body): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': createWebhook(secret).sign(id, timestamp, payload),
  };
}

function verifyError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookVerificationError);
    return (error as Error).message;
  }
  throw new Error('expected verify to throw');
}

describe('createWebhook', () => {
  it('signs the known-answer vector', () => {
    const webhook = createWebhook(SECRET);
    const signature = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
    expect(webhook.sign('msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(signature);
    expect(webhook.sign('msg_p5jXN8AQM9LWM0D4loKWxJek', new Date(1614265330_000), '{"test": 2432232314}')).toBe(
      signature,
    );
    // the same secret without its prefix
    expect(createWebhook(SECRET.slice(6)).sign('msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      signature,
    );
  });

  it('verifies the known-answer vector with the tolerance widened to reach 2021', () => {
    const headers = {
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    const webhook = createWebhook(SECRET);
    expect(webhook.verify('{"test": 2432232314}', headers, { tolerance: now() })).toEqual({ test: 2432232314 });
    expect(verifyError(() => webhook.verify('{"test": 2432232314}', headers))).toBe('Message timestamp too old');
  });

  it('round-trips sign and verify synchronously, returning the parsed payload', () => {
    const webhook = createWebhook(SECRET);
    const payload: WebhookPayload<{ orderId: string }> = webhook.verify(body, headersFor(SECRET, 'msg_1', now()));
    expect(payload.type).toBe('order.created');
    expect(payload.data.orderId).toBe('ord_123');
    expect(payload.webhookId).toBe('msg_abc123');
  });

  it('accepts the body as bytes (a Node Buffer or a Uint8Array)', () => {
    const webhook = createWebhook(SECRET);
    const headers = headersFor(SECRET, 'msg_1', now());
    expect(webhook.verify(Buffer.from(body), headers).type).toBe('order.created');
    expect(webhook.verify(new TextEncoder().encode(body), headers).type).toBe('order.created');
  });

  it('rejects a changed body', () => {
    const headers = headersFor(SECRET, 'msg_1', now());
    const tampered = body.replace('99.99', '0.01');
    expect(verifyError(() => createWebhook(SECRET).verify(tampered, headers))).toBe('No matching signature found');
  });

  it('rejects a changed id or a signature from another secret', () => {
    const headers = headersFor(SECRET, 'msg_1', now());
    expect(verifyError(() => createWebhook(SECRET).verify(body, { ...headers, 'webhook-id': 'msg_2' }))).toBe(
      'No matching signature found',
    );
    expect(verifyError(() => createWebhook(OTHER_SECRET).verify(body, headers))).toBe('No matching signature found');
  });

  it('rejects timestamps outside the tolerance, both ways', () => {
    const webhook = createWebhook(SECRET);
    const old = headersFor(SECRET, 'msg_1', now() - 301);
    const future = headersFor(SECRET, 'msg_1', now() + 301);
    expect(verifyError(() => webhook.verify(body, old))).toBe('Message timestamp too old');
    expect(verifyError(() => webhook.verify(body, future))).toBe('Message timestamp too new');
    expect(webhook.verify(body, old, { tolerance: 600 }).type).toBe('order.created');
    expect(webhook.verify(body, future, { tolerance: 600 }).type).toBe('order.created');
    const slightlyOld = headersFor(SECRET, 'msg_1', now() - 20);
    expect(verifyError(() => webhook.verify(body, slightlyOld, { tolerance: 10 }))).toBe('Message timestamp too old');
  });

  it('rejects a timestamp that is not a number', () => {
    const headers = { ...headersFor(SECRET, 'msg_1', now()), 'webhook-timestamp': 'yesterday' };
    expect(verifyError(() => createWebhook(SECRET).verify(body, headers))).toBe('Invalid Signature Headers');
  });

  it('accepts any one valid v1 signature among several (secret rotation)', () => {
    const timestamp = now();
    const current = createWebhook(SECRET).sign('msg_1', timestamp, body);
    const previous = createWebhook(OTHER_SECRET).sign('msg_1', timestamp, body);
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': `v2,${current.slice(3)} v1,bm90IGJhc2U2NA v1,!!! ${previous} ${current}`,
    };
    expect(createWebhook(SECRET).verify(body, headers).type).toBe('order.created');
    expect(createWebhook(OTHER_SECRET).verify(body, headers).type).toBe('order.created');
    const onlyWrong = { ...headers, 'webhook-signature': `${previous} v2,${current.slice(3)}` };
    expect(verifyError(() => createWebhook(SECRET).verify(body, onlyWrong))).toBe('No matching signature found');
  });

  it('requires all three headers', () => {
    const headers = headersFor(SECRET, 'msg_1', now());
    const webhook = createWebhook(SECRET);
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      const partial = Object.fromEntries(Object.entries(headers).filter(([key]) => key !== name));
      expect(verifyError(() => webhook.verify(body, partial))).toBe('Missing required headers');
    }
    expect(verifyError(() => webhook.verify(body, {}))).toBe('Missing required headers');
  });

  it('reads a fetch Headers instance', () => {
    const headers = new Headers(headersFor(SECRET, 'msg_1', now()));
    expect(createWebhook(SECRET).verify(body, headers).type).toBe('order.created');
  });

  it("reads Node's IncomingHttpHeaders in any case, with array values", () => {
    const plain = headersFor(SECRET, 'msg_1', now());
    const headers: IncomingHttpHeaders = {
      'content-type': 'application/json',
      'Webhook-Id': plain['webhook-id'],
      'WEBHOOK-TIMESTAMP': plain['webhook-timestamp'],
      'webhook-signature': plain['webhook-signature'],
      'set-cookie': ['a=b'],
    };
    expect(createWebhook(SECRET).verify(body, headers).type).toBe('order.created');
    const arrayValued: IncomingHttpHeaders = { ...headers, 'webhook-signature': ['v1,AAAA', plain['webhook-signature']!] };
    expect(createWebhook(SECRET).verify(body, arrayValued).type).toBe('order.created');
  });

  it('works the way the Getting Started page uses it', () => {
    const webhook = createWebhook(SECRET);
    const req = { body: Buffer.from(body), headers: headersFor(SECRET, 'msg_1', now()) as IncomingHttpHeaders };
    let handled = '';
    try {
      const payload = webhook.verify(req.body.toString(), req.headers);
      switch (payload.type) {
        case 'order.created':
          handled = 'order.created';
          break;
      }
    } catch {
      handled = 'rejected';
    }
    expect(handled).toBe('order.created');
  });

  it('refuses a missing or malformed secret up front', () => {
    expect(() => createWebhook(undefined)).toThrow(/secret/);
    expect(() => createWebhook('')).toThrow(/secret/);
    expect(() => createWebhook('whsec_not base64!')).toThrow(/base64/);
  });
});
