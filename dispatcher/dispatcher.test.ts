import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { endpointDecider } from '../domain/endpoint/decide';
import { messageDecider } from '../domain/message/decide';
import { outboundDecider } from '../domain/outbound/decide';
import { generateSigningSecret, sealSecret } from '../domain/secretBox';
import { streams } from '../domain/streams';
import { collections } from '../projections/readModels';
import type { AttemptDoc, EndpointDoc, OutboundDoc } from '../projections/readModels';
import { handleCommand } from '../store/commandHandler';
import type { Harness, Receiver } from './testHarness';
import { createEndpoint, openHarness, sendMessage, startReceiver, streamEvents, waitFor } from './testHarness';

let h: Harness;
const receivers: Receiver[] = [];
const receiver = async (...args: Parameters<typeof startReceiver>): Promise<Receiver> => {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
};

beforeEach(async () => {
  h = await openHarness();
});

afterEach(async () => {
  await h.close();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

const outboundDoc = (id: string) => h.reads.collection<OutboundDoc>(collections.outbound).get(id);
const attemptsOf = async (id: string) =>
  (await h.reads.collection<AttemptDoc>(collections.attempts).find({ where: { outboundMessageId: id }, orderBy: { key: 'attemptedAt', direction: 'asc' }, limit: 100 })).items.sort((a, b) => a.attemptNumber - b.attemptNumber);
const settled = (id: string, status: OutboundDoc['status']): Promise<OutboundDoc> =>
  waitFor(`${id} ${status}`, async () => {
    const doc = await outboundDoc(id);
    return doc?.status === status ? doc : undefined;
  });

const verify = (secret: string, id: string, ts: string, body: string, signature: string): boolean =>
  `v1,${createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64')).update(`${id}.${ts}.${body}`).digest('base64')}` === signature;

describe('Dispatcher', () => {
  it('sends every endpoint of a message the same body, each signed with its own secret', async () => {
    const r = await receiver();
    const eps = [];
    for (let i = 0; i < 3; i++) eps.push(await createEndpoint(h, { url: `${r.url}/ep-${i}` }));
    await h.dispatcher();
    const sent = await sendMessage(h, eps, { eventType: 'order.created', payload: { orderId: 7, note: 'é ✓' } });
    for (const id of sent.outboundIds) await settled(id, 'success');

    const expected = JSON.stringify({ type: 'order.created', data: { orderId: 7, note: 'é ✓' }, timestamp: sent.timestamp, webhookId: sent.messageId });
    expect(r.requests).toHaveLength(3);
    for (const [i, ep] of eps.entries()) {
      const req = r.requests.find((q) => q.url.endsWith(`/ep-${i}`))!;
      expect(req.body).toBe(expected);
      expect(verify(ep.secret, sent.messageId, req.headers['webhook-timestamp'] as string, req.body, req.headers['webhook-signature'] as string)).toBe(true);
    }
  });

  it('delivers a signed webhook with exactly the headers and body of API.md', async () => {
    const r = await receiver();
    const ep = await createEndpoint(h, { url: r.url, headers: { 'X-Tenant': 'acme' } });
    await h.dispatcher();
    const sent = await sendMessage(h, [ep], { eventType: 'order.created', payload: { orderId: 42, lines: [1, 2] } });
    await settled(sent.outboundIds[0]!, 'success');

    expect(r.requests).toHaveLength(1);
    const req = r.requests[0]!;
    expect(req.method).toBe('POST');
    expect(JSON.parse(req.body)).toEqual({ type: 'order.created', data: { orderId: 42, lines: [1, 2] }, timestamp: sent.timestamp, webhookId: sent.messageId });
    expect(req.body).toBe(JSON.stringify({ type: 'order.created', data: { orderId: 42, lines: [1, 2] }, timestamp: sent.timestamp, webhookId: sent.messageId }));
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toBe('Hookbase/9.9.9-test');
    expect(req.headers['x-tenant']).toBe('acme');
    expect(req.headers['webhook-id']).toBe(sent.messageId);
    const ts = req.headers['webhook-timestamp'] as string;
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(5);
    const signature = req.headers['webhook-signature'] as string;
    expect(signature.split(' ')).toHaveLength(1);
    expect(verify(ep.secret, sent.messageId, ts, req.body, signature)).toBe(true);

    const doc = await outboundDoc(sent.outboundIds[0]!);
    expect(doc).toMatchObject({ attempts: 1, lastResponseStatus: 200, lastError: null });
  });

  it('retries on the schedule until it succeeds: 3 failures then success make 4 attempts', async () => {
    const r = await receiver((_req, i) => (i < 3 ? { status: 500, body: `nope ${i}` } : { status: 204 }));
    const ep = await createEndpoint(h, { url: r.url });
    await h.dispatcher({ retryScheduleMs: [50, 50, 50] });
    const sent = await sendMessage(h, [ep], { maxAttempts: 4 });
    const doc = await settled(sent.outboundIds[0]!, 'success');

    expect(doc).toMatchObject({ attempts: 4, lastResponseStatus: 204 });
    expect(r.requests).toHaveLength(4);
    expect(new Set(r.requests.map((q) => q.headers['webhook-id']))).toEqual(new Set([sent.messageId]));
    expect(new Set(r.requests.map((q) => q.body)).size).toBe(1);
    const attempts = await waitFor('4 attempts', async () => ((await attemptsOf(sent.outboundIds[0]!)).length === 4 ? attemptsOf(sent.outboundIds[0]!) : undefined));
    expect(attempts.map((a) => [a.attemptNumber, a.responseStatus, a.error])).toEqual([
      [1, 500, 'HTTP 500'],
      [2, 500, 'HTTP 500'],
      [3, 500, 'HTTP 500'],
      [4, 204, null],
    ]);
    expect(attempts[0]!.responseBody).toBe('nope 0');
  });

  it('exhausts a delivery that always fails, with every attempt recorded', async () => {
    const r = await receiver(() => ({ status: 503 }));
    const ep = await createEndpoint(h, { url: r.url });
    await h.dispatcher({ retryScheduleMs: [30, 30, 30] });
    const sent = await sendMessage(h, [ep], { maxAttempts: 4 });
    const doc = await settled(sent.outboundIds[0]!, 'exhausted');

    expect(doc).toMatchObject({ attempts: 4, nextAttemptAt: null, lastResponseStatus: 503 });
    const attempts = await attemptsOf(sent.outboundIds[0]!);
    expect(attempts.map((a) => a.attemptNumber)).toEqual([1, 2, 3, 4]);
    const types = (await streamEvents(h.events, streams.outbound(sent.outboundIds[0]!))).map((e) => e.type);
    expect(types).toEqual(['AttemptFailed', 'RetryScheduled', 'AttemptFailed', 'RetryScheduled', 'AttemptFailed', 'RetryScheduled', 'AttemptFailed', 'DeliveryExhausted']);
    expect(r.requests).toHaveLength(4);
  });

  it('uses the endpoint retryDelays (seconds) instead of the schedule', async () => {
    const r = await receiver(() => ({ status: 500 }));
    const ep = await createEndpoint(h, { url: r.url, retryDelays: [0] });
    await h.dispatcher({ retryScheduleMs: [60_000] });
    const sent = await sendMessage(h, [ep], { maxAttempts: 2 });
    await settled(sent.outboundIds[0]!, 'exhausted');
    expect(r.requests).toHaveLength(2);
  });

  it('runs a requested retry whatever the status: after exhaustion and after success', async () => {
    const r = await receiver(() => ({ status: 500 }));
    const ep = await createEndpoint(h, { url: r.url });
    await h.dispatcher({ retryScheduleMs: [20] });
    const sent = await sendMessage(h, [ep], { maxAttempts: 2 });
    const id = sent.outboundIds[0]!;
    await settled(id, 'exhausted');
    const requestRetry = () =>
      handleCommand(h.events, streams.outbound(id), outboundDecider, {
        type: 'RequestRetry',
        data: { outboundId: id, messageId: sent.messageId, endpointId: ep.id, applicationId: ep.applicationId },
        metadata: { now: new Date().toISOString() },
      });
    r.reply(() => ({ status: 200 }));
    await requestRetry();
    expect(await settled(id, 'success')).toMatchObject({ attempts: 3 });
    await requestRetry();
    await waitFor('a fourth attempt', async () => (await outboundDoc(id))?.attempts === 4);
    expect(r.requests).toHaveLength(4);
  });

  it('honours Retry-After on a 429 within the clamp of the next two steps', async () => {
    const r = await receiver((_req, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '1' } } : i === 1 ? { status: 503, headers: { 'retry-after': '3600' } } : { status: 200 }));
    const ep = await createEndpoint(h, { url: r.url });
    // Without Retry-After the retries would come after ~100 ms; the clamp is 100 + 1000 ms, then 1000 + 100 ms.
    await h.dispatcher({ retryScheduleMs: [100, 1_000, 100], random: () => 0.5 });
    const sent = await sendMessage(h, [ep], { maxAttempts: 4 });
    await waitFor('success', async () => ((await outboundDoc(sent.outboundIds[0]!))?.status === 'success' ? true : undefined), 8_000);

    const [first, second, third] = r.requests.map((q) => q.at);
    const gap1 = second! - first!;
    const gap2 = third! - second!;
    expect(gap1).toBeGreaterThanOrEqual(950); // Retry-After: 1 honoured
    expect(gap1).toBeLessThan(1_100 + 600);
    expect(gap2).toBeGreaterThanOrEqual(1_050); // Retry-After: 3600 clamped to 1000 + 100 ms
    expect(gap2).toBeLessThan(1_100 + 600);
  });

  it('stops retrying when the receiver answers webhook-delivery: abort-message', async () => {
    const r = await receiver(() => ({ status: 400, headers: { 'webhook-delivery': 'abort-message' } }));
    const ep = await createEndpoint(h, { url: r.url });
    await h.dispatcher();
    const sent = await sendMessage(h, [ep], { maxAttempts: 4 });
    await settled(sent.outboundIds[0]!, 'exhausted');
    const events = await streamEvents(h.events, streams.outbound(sent.outboundIds[0]!));
    expect(events.map((e) => e.type)).toEqual(['AttemptFailed', 'DeliveryExhausted']);
    expect(events[1]).toMatchObject({ data: { reason: expect.stringContaining('abort-message') } });
    expect(r.requests).toHaveLength(1);
  });

  it('disables the endpoint on 410 Gone and fails the delivery for good', async () => {
    const r = await receiver(() => ({ status: 410 }));
    const ep = await createEndpoint(h, { url: r.url });
    await h.dispatcher();
    const sent = await sendMessage(h, [ep], { maxAttempts: 4 });
    await settled(sent.outboundIds[0]!, 'exhausted');
    const doc = await waitFor('endpoint disabled', async () => {
      const e = await h.reads.collection<EndpointDoc>(collections.endpoints).get(ep.id);
      return e?.disabled ? e : undefined;
    });
    expect(doc.disabledReason).toBe('Endpoint answered 410 Gone');
    expect((await streamEvents(h.events, streams.endpoint(ep.id))).map((e) => e.type)).toContain('EndpointDisabled');

    // A disabled endpoint gets nothing: the next delivery fails at once, without a request.
    const next = await sendMessage(h, [ep], { maxAttempts: 4 });
    const failed = await settled(next.outboundIds[0]!, 'exhausted');
    expect(failed.lastError).toBe('Endpoint disabled: Endpoint answered 410 Gone');
    expect(r.requests).toHaveLength(1);
  });

  it('treats a 3xx as a failure and does not follow the redirect', async () => {
    const target = await receiver();
    const r = await receiver(() => ({ status: 302, headers: { location: target.url } }));
    const ep = await createEndpoint(h, { url: r.url });
    await h.dispatcher({ retryScheduleMs: [20] });
    const sent = await sendMessage(h, [ep], { maxAttempts: 2 });
    const doc = await settled(sent.outboundIds[0]!, 'exhausted');
    expect(doc.lastResponseStatus).toBe(302);
    expect(doc.lastError).toContain('redirects are not followed');
    expect(r.requests).toHaveLength(2);
    expect(target.requests).toHaveLength(0);
  });

  it('signs with both secrets while a rotated one is still valid', async () => {
    const r = await receiver();
    const ep = await createEndpoint(h, { url: r.url });
    const newSecret = generateSigningSecret();
    await handleCommand(h.events, streams.endpoint(ep.id), endpointDecider, {
      type: 'RotateEndpointSecret',
      data: { endpointId: ep.id, secret: sealSecret(h.masterKey, newSecret), gracePeriodSeconds: 3600 },
      metadata: { now: new Date().toISOString() },
    });
    await h.dispatcher();
    const sent = await sendMessage(h, [ep]);
    await settled(sent.outboundIds[0]!, 'success');

    const req = r.requests[0]!;
    const ts = req.headers['webhook-timestamp'] as string;
    const parts = (req.headers['webhook-signature'] as string).split(' ');
    expect(parts).toHaveLength(2);
    expect(verify(newSecret, sent.messageId, ts, req.body, parts[0]!)).toBe(true);
    expect(verify(ep.secret, sent.messageId, ts, req.body, parts[1]!)).toBe(true);
  });

  it('delivers a resent message again, to new deliveries, with the same webhook-id', async () => {
    const r = await receiver();
    const ep = await createEndpoint(h, { url: r.url });
    await h.dispatcher();
    const sent = await sendMessage(h, [ep]);
    await settled(sent.outboundIds[0]!, 'success');
    const resent = { outboundId: `out_resend${Date.now()}`, endpointId: ep.id, endpointUrl: r.url, maxAttempts: 4 };
    await handleCommand(h.events, streams.message(sent.messageId), messageDecider, {
      type: 'ResendMessage',
      data: { messageId: sent.messageId, outbound: [resent] },
      metadata: { now: new Date().toISOString() },
    });
    await settled(resent.outboundId, 'success');
    expect(r.requests).toHaveLength(2);
    expect(r.requests[1]!.headers['webhook-id']).toBe(sent.messageId);
    expect(r.requests[1]!.body).toBe(r.requests[0]!.body);
  });
});
