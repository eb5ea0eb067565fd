import { createWebhook } from '@hookbase/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startReceiver, startTestHookbase } from './harness';
import type { Receiver, TestHookbase } from './harness';

// What an operator does when deliveries go wrong, through the SDK as the Getting Started page shows it.
describe('operator actions', () => {
  let hb: TestHookbase;
  let receiver: Receiver;
  let failing = false;
  let appId = '';

  beforeAll(async () => {
    hb = await startTestHookbase();
    receiver = await startReceiver((_req, res) => {
      res.statusCode = failing ? 500 : 200;
      res.end(failing ? 'down for maintenance' : 'ok');
    });
    appId = (await hb.sdk.applications.create({ name: 'Operated' })).id;
    await hb.sdk.eventTypes.create({ name: 'op.event' });
  });
  afterAll(async () => {
    await hb.stop();
    await receiver.close();
  });

  const statusOf = async (outboundId: string, status: string) =>
    eventually(async () => {
      const o = await hb.sdk.messages.getOutbound(appId, outboundId);
      return o.status === status ? o : undefined;
    });

  it('retries an exhausted delivery now, keeps every attempt, and tells the whole story from the event store', async () => {
    failing = true;
    const endpoint = await hb.sdk.endpoints.create(appId, { url: receiver.url, retryDelays: [0] });
    const message = await hb.sdk.messages.send(appId, { eventType: 'op.event', payload: { n: 1 } });
    const outboundMessageId = message.outbound[0]?.id ?? '';
    const exhausted = await statusOf(outboundMessageId, 'exhausted');
    expect(exhausted).toMatchObject({ attempts: 2, maxAttempts: 2, lastResponseStatus: 500, deliveredAt: null });

    failing = false;
    await hb.sdk.messages.retry(appId, outboundMessageId);
    const delivered = await statusOf(outboundMessageId, 'success');
    expect(delivered).toMatchObject({ attempts: 3, lastResponseStatus: 200, lastError: null });
    expect(delivered.deliveredAt).not.toBeNull();

    const { data: attempts } = await hb.sdk.messages.listAttempts(appId, outboundMessageId);
    expect(attempts.map((a) => [a.attemptNumber, a.responseStatus])).toEqual([[3, 200], [2, 500], [1, 500]]);
    expect(attempts[2]?.responseBody).toBe('down for maintenance');

    const { data: history } = await hb.sdk.messages.history(appId, message.id);
    expect(history.map((h) => h.type)).toEqual(['MessageSent', 'AttemptFailed', 'RetryScheduled', 'AttemptFailed', 'DeliveryExhausted', 'RetryRequested', 'AttemptSucceeded']);
    expect(history.map((h) => Number(h.position))).toEqual([...history.map((h) => Number(h.position))].sort((a, b) => a - b));

    const stats = await hb.sdk.endpoints.getStats(appId, endpoint.id);
    expect(stats).toMatchObject({ totalMessages: 1, successes: 1, failures: 0, successRate: 1, recentFailures: 2 });
    await hb.sdk.endpoints.delete(appId, endpoint.id);
  });

  it('recovers the failed and exhausted deliveries of an endpoint since a time', async () => {
    failing = true;
    const since = new Date().toISOString();
    const endpoint = await hb.sdk.endpoints.create(appId, { url: receiver.url, retryDelays: [] });
    const sent = [];
    for (let i = 0; i < 3; i++) sent.push(await hb.sdk.messages.send(appId, { eventType: 'op.event', payload: { recover: i } }));
    for (const m of sent) await statusOf(m.outbound[0]?.id ?? '', 'exhausted');

    failing = false;
    const { requeued } = await hb.sdk.endpoints.recover(appId, endpoint.id, { since });
    expect(requeued).toBe(3);
    for (const m of sent) await statusOf(m.outbound[0]?.id ?? '', 'success');
    await hb.sdk.endpoints.delete(appId, endpoint.id);
  });

  it('resends a message to the endpoints subscribed now, with the same webhook-id', async () => {
    const endpoint = await hb.sdk.endpoints.create(appId, { url: receiver.url });
    const message = await hb.sdk.messages.send(appId, { eventType: 'op.event', payload: { resend: true } });
    await statusOf(message.outbound[0]?.id ?? '', 'success');
    const { outbound } = await hb.sdk.messages.resend(appId, message.id);
    expect(outbound).toHaveLength(1);
    expect(outbound[0]?.id).not.toBe(message.outbound[0]?.id);
    await statusOf(outbound[0]?.id ?? '', 'success');
    const copies = receiver.received.filter((r) => r.headers['webhook-id'] === message.id);
    expect(copies).toHaveLength(2);
    await hb.sdk.endpoints.delete(appId, endpoint.id);
  });

  it('signs with both secrets during a rotation, so receivers on either secret verify', async () => {
    const endpoint = await hb.sdk.endpoints.create(appId, { url: receiver.url });
    const rotated = await hb.sdk.endpoints.rotateSecret(appId, endpoint.id, { gracePeriodSeconds: 3600 });
    expect(rotated.secret).not.toBe(endpoint.secret);
    expect(Date.parse(rotated.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(3500_000);
    const message = await hb.sdk.messages.send(appId, { eventType: 'op.event', payload: { rotated: true } });
    await statusOf(message.outbound[0]?.id ?? '', 'success');
    const hook = receiver.received.find((r) => r.headers['webhook-id'] === message.id);
    expect(String(hook?.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(createWebhook(endpoint.secret).verify(hook?.body ?? '', hook?.headers ?? {})).toMatchObject({ data: { rotated: true } });
    expect(createWebhook(rotated.secret).verify(hook?.body ?? '', hook?.headers ?? {})).toMatchObject({ data: { rotated: true } });
    await hb.sdk.endpoints.delete(appId, endpoint.id);
  });

  it('sends nothing to a disabled endpoint until it is enabled', async () => {
    const endpoint = await hb.sdk.endpoints.create(appId, { url: receiver.url });
    const disabled = await hb.sdk.endpoints.disable(appId, endpoint.id);
    expect(disabled).toMatchObject({ disabled: true, disabledReason: 'Disabled by a user.' });
    const skipped = await hb.sdk.messages.send(appId, { eventType: 'op.event', payload: { while: 'disabled' } });
    expect(skipped.outbound).toEqual([]);
    await hb.sdk.endpoints.enable(appId, endpoint.id);
    const sent = await hb.sdk.messages.send(appId, { eventType: 'op.event', payload: { while: 'enabled' } });
    expect(sent.outbound.map((o) => o.endpointId)).toEqual([endpoint.id]);
    await statusOf(sent.outbound[0]?.id ?? '', 'success');
    expect(receiver.received.some((r) => r.headers['webhook-id'] === skipped.id)).toBe(false);
  });

  it('tests an endpoint with a real signed ping', async () => {
    const endpoint = await hb.sdk.endpoints.create(appId, { url: receiver.url });
    const out = await hb.sdk.endpoints.test(appId, endpoint.id);
    expect(out).toMatchObject({ endpointId: endpoint.id, eventType: 'hookbase.ping' });
    await statusOf(out.id, 'success');
    const hook = receiver.received.find((r) => r.headers['webhook-id'] === out.messageId);
    expect(createWebhook(endpoint.secret).verify(hook?.body ?? '', hook?.headers ?? {})).toMatchObject({ type: 'hookbase.ping' });
  });
});
