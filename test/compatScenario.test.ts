// A client's day through the cloud-compatible /api only (COMPAT.md), against a real server and a real receiver on
// 127.0.0.1, with the signatures checked by @hookbase/sdk's verifier.
import { randomBytes } from 'node:crypto';
import { createWebhook } from '@hookbase/sdk';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, startReceiver, startTestHookbase } from './harness';
import type { Receiver, TestHookbase } from './harness';
import { expectList, expectOne, expectShape, FIELDS } from './compatShapes';

let hb: TestHookbase;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  hb = await startTestHookbase({ apiKey: `whr_${randomBytes(16).toString('hex')}` });
});

afterAll(async () => {
  await hb?.stop();
  await receiver?.close();
});

type Data = Record<string, unknown>;
const api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => hb.request(method, path, body, headers);
const data = (res: { body: unknown }): Data => (res.body as { data: Data }).data;

it("plays a client's day: apps by externalId, typed events, an endpoint, subscriptions, sends, deliveries, stats, replay, portal token", async () => {
  // 1. the application, by our customer's id; the upsert finds it again
  const externalId = `customer_${randomBytes(4).toString('hex')}`;
  const app = expectOne(await api('POST', '/api/webhook-applications', { name: 'Acme', externalId }), 201, FIELDS.application, { sendEventUrl: 'string' });
  const upsert = await api('PUT', '/api/webhook-applications/upsert', { externalId, name: 'Acme again' });
  expect(upsert.status).toBe(200);
  expect(upsert.body).toMatchObject({ created: false, data: { id: app.id, name: 'Acme', externalId } });

  // 2. two event types, each with a schema given as JSON text (as the Node client sends it)
  const schema = JSON.stringify({ type: 'object', required: ['orderId'], properties: { orderId: { type: 'string' } } });
  const created = expectOne(await api('POST', '/api/event-types', { name: 'order.created', displayName: 'Order created', schema }), 201, FIELDS.eventType);
  const shipped = expectOne(await api('POST', '/api/event-types', { name: 'order.shipped', schema }), 201, FIELDS.eventType);
  expect(created.schema).toBe(schema);

  // 3. an endpoint with its headers as a list
  const endpoint = expectOne<{ id: string; secret: string }>(
    await api('POST', '/api/webhook-endpoints', { applicationId: app.id, url: receiver.url, headers: [{ name: 'X-Tenant', value: 'acme' }] }),
    201,
    FIELDS.endpoint,
    { secret: 'string' },
  );

  // 4. subscribed to both types in bulk, then one subscription disabled
  const bulk = await api('POST', '/api/webhook-subscriptions/bulk', { endpointId: endpoint.id, eventTypeIds: [created.id, shipped.id] });
  expect(bulk.body).toMatchObject({ created: 2, skipped: 0 });
  const subs = (bulk.body as { subscriptions: { id: string; eventTypeName: string }[] }).subscriptions;
  const shippedSub = subs.find((s) => s.eventTypeName === 'order.shipped');
  expect(expectOne(await api('PATCH', `/api/webhook-subscriptions/${shippedSub?.id ?? ''}`, { isEnabled: false }), 200, FIELDS.subscription).isEnabled).toBe(false);

  // 5. three sends: one per type, and the first again with its eventId
  const send = (eventType: string, eventId: string) =>
    api('POST', '/api/send-event', { applicationId: externalId, eventType, payload: { orderId: 'ord_1' }, eventId });
  const first = data(await send('order.created', 'evt_created_1'));
  expect(first).toMatchObject({ messagesQueued: 1, endpoints: [{ id: endpoint.id, url: receiver.url }] });
  expect(data(await send('order.shipped', 'evt_shipped_1'))).toMatchObject({ messagesQueued: 0, endpoints: [] });
  const repeated = await send('order.created', 'evt_created_1');
  expect(repeated.status).toBe(202);
  expect(data(repeated).eventId).toBe(first.eventId);

  // 6. what the receiver got: one signed webhook, our headers, verifiable with the official verifier
  await receiver.waitFor(1);
  await new Promise((r) => setTimeout(r, 300));
  expect(receiver.received).toHaveLength(1);
  const hook = receiver.received[0]!;
  expect(hook.headers['x-tenant']).toBe('acme');
  expect(hook.headers['webhook-id']).toBe(first.eventId);
  const payload = createWebhook(endpoint.secret).verify(hook.body, hook.headers as Record<string, string>);
  expect(payload).toMatchObject({ type: 'order.created', data: { orderId: 'ord_1' } });

  // 7. the outbound list and the stats
  const delivered = await eventually(async () => {
    const list = expectList(await api('GET', `/api/outbound-messages?applicationId=${app.id as string}`), FIELDS.outbound);
    return list.data.length === 1 && list.data[0]?.status === 'success' ? list.data[0] : undefined;
  });
  expect(delivered).toMatchObject({ messageId: first.eventId, eventId: 'evt_created_1', endpointId: endpoint.id, eventType: 'order.created', attempts: 1, lastResponseStatus: 200 });
  expect(data(await api('GET', `/api/outbound-messages/stats/summary?applicationId=${app.id as string}`))).toEqual({
    pending: 0, processing: 0, success: 1, failed: 0, exhausted: 0, dlq: 0, total: 1,
  });
  expect(expectOne(await api('GET', `/api/webhook-applications/${app.id as string}`), 200, FIELDS.application)).toMatchObject({
    totalEndpoints: 1, totalMessagesSent: 2, totalMessagesFailed: 0,
  });
  const ep = expectOne(await api('GET', `/api/webhook-endpoints/${endpoint.id}`), 200, FIELDS.endpoint);
  expect(ep).toMatchObject({ totalMessages: 1, totalSuccesses: 1, totalFailures: 0, lastResponseStatus: 200, isVerified: true });
  expect(ep.lastSuccessAt).not.toBeNull();
  expect(ep.avgResponseTimeMs).toEqual(expect.any(Number));

  // 8. a replay: the same webhook again (same webhook-id), a second attempt on the same delivery
  const replay = expectOne(await api('POST', `/api/outbound-messages/${delivered.id as string}/replay`), 200, FIELDS.replay);
  expect(replay).toEqual({ originalMessageId: delivered.id, newMessageId: delivered.id, status: 'pending' });
  await receiver.waitFor(2);
  expect(receiver.received[1]?.headers['webhook-id']).toBe(first.eventId);
  createWebhook(endpoint.secret).verify(receiver.received[1]!.body, receiver.received[1]!.headers as Record<string, string>);
  const attempts = await eventually(async () => {
    const res = await api('GET', `/api/outbound-messages/${delivered.id as string}/attempts`);
    const list = (res.body as { data: Data[] }).data;
    return list.length === 2 ? list : undefined;
  });
  attempts.forEach((a) => expectShape(a, FIELDS.attempt));
  expect(attempts.map((a) => a.attemptNumber)).toEqual([1, 2]);

  // 9. the portal-token round trip: created with its magic link, used by the portal, listed without its value, revoked
  const token = expectOne(await api('POST', `/api/portal/webhook-applications/${externalId}/tokens`, { name: 'Acme portal', scopes: ['read'] }), 201, FIELDS.portalToken, { token: 'string', url: 'string' });
  expect(token.url).toBe(`${hb.url}/portal#token=${token.token as string}`);
  const asPortal = { authorization: `Bearer ${token.token as string}` };
  const portalApp = await api('GET', '/portal/application', undefined, asPortal);
  expect(portalApp.status).toBe(200);
  expect(data(portalApp)).toMatchObject({ id: app.id, name: 'Acme' });
  const readOnlyWrite = await api('POST', '/portal/endpoints', { url: receiver.url }, asPortal);
  expect(readOnlyWrite.status).toBe(403);
  const tokens = (await api('GET', `/api/portal/webhook-applications/${app.id as string}/tokens`)).body as { data: Data[] };
  expect(tokens.data.map((t) => t.id)).toEqual([token.id]);
  expect(JSON.stringify(tokens)).not.toContain(token.token as string);
  expect((await api('DELETE', `/api/portal/tokens/${token.id as string}`)).body).toEqual({ success: true });
  expect((await api('GET', '/portal/application', undefined, asPortal)).status).toBe(401);
});
